/*
 * cmd_report — open, analyse, symbolize, print.
 */
#include "cmd_report.h"
#include "analysis.h"
#include "logread.h"
#include "report.h"
#include "symbolize.h"

int cmd_report(const char *path, bool json, bool full, FILE *out, uint64_t *open_sockets)
{
	struct logread lr;
	struct analysis a;
	char err[512];

	if (logread_open(&lr, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "tally: %s\n", err);
		return 2;
	}
	uint32_t nmod = lr.hdr.modules_used < lr.hdr.max_modules ? lr.hdr.modules_used
	                                                         : lr.hdr.max_modules;
	struct symbolizer *sym = symbolizer_new(lr.modules, nmod);
	analysis_build(&a, &lr);
	if (json) {
		report_json(out, &a, sym);
	} else {
		struct report_opts o = { full ? 0 : 20, full ? 0 : 16 };
		report_text(out, &a, sym, &o);
	}
	fflush(out);
	if (open_sockets)
		*open_sockets = a.open;
	analysis_free(&a);
	symbolizer_free(sym);
	logread_close(&lr);
	return 0;
}
