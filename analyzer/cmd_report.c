/*
 * cmd_report — open, analyse, symbolize, print.
 */
#include "cmd_report.h"
#include "analysis.h"
#include "logread.h"
#include "report.h"
#include "symbolize.h"

int cmd_report(const char *path, const struct report_request *rq, FILE *out,
               uint64_t *open_sockets)
{
	struct port_budget budget, *b = NULL;
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
	if (rq->range_lo) {
		analysis_port_budget(&a, rq->range_lo, rq->range_hi, rq->range_type, &budget);
		b = &budget;
	}
	if (rq->json) {
		report_json(out, &a, sym, b);
	} else {
		struct report_opts o = { rq->full ? 0 : 20, rq->full ? 0 : 16 };
		report_text(out, &a, sym, &o, b);
	}
	fflush(out);
	if (open_sockets)
		*open_sockets = a.open - a.inherited_open;   /* its own, for --check */
	analysis_free(&a);
	symbolizer_free(sym);
	logread_close(&lr);
	return 0;
}
