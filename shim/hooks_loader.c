/*
 * hooks_loader — dl_iterate_phdr, a walk a fork waits for (forkwalk.h).
 */
#include "forkwalk.h"
#include "hooks.h"
#include "record.h"

#include <link.h>
#include <pthread.h>

EXPORT int dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, size_t, void *), void *data)
{
	int rc;

	forkwalk_begin();
	pthread_cleanup_push(forkwalk_cancelled, NULL);
	rc = REAL(dl_iterate_phdr)(callback, data);
	pthread_cleanup_pop(1);
	return rc;
}
