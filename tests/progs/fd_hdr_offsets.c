/*
 * fd_hdr_offsets — prints where the tally log header keeps the fields the
 * bad-log test rewrites or reads ("name offset" lines, bytes from the start
 * of the file), and the size of an event record, taken from the format
 * header itself so the test follows any change of layout.
 */
#include <stddef.h>
#include <stdio.h>

#include "../../include/tally/format.h"

int main(void)
{
	printf("version %zu\n", offsetof(struct tally_header, version));
	printf("header_size %zu\n", offsetof(struct tally_header, header_size));
	printf("max_events %zu\n", offsetof(struct tally_header, max_events));
	printf("events_off %zu\n", offsetof(struct tally_header, events_off));
	printf("events_claimed %zu\n", offsetof(struct tally_header, events_claimed));
	printf("event_size %zu\n", sizeof(struct tally_event));
	printf("event_kind %zu\n", offsetof(struct tally_event, kind));
	printf("event_fd %zu\n", offsetof(struct tally_event, fd));
	printf("format_version %u\n", TALLY_FORMAT_VERSION);
	return 0;
}
