/*
 * cmd_report — open, analyse, keep the books, symbolize, print.
 */
#include "cmd_report.h"
#include "analysis.h"
#include "refbooks.h"
#include "logread.h"
#include "report.h"
#include "symbolize.h"
#include "timeline.h"

#include <string.h>

int cmd_report_counts(const char *path, const struct report_request *rq, FILE *out,
                      struct report_counts *counts)
{
	struct port_budget budget, *b = NULL;
	struct logread lr;
	struct analysis a;
	struct books books;
	char err[512];

	if (counts)
		memset(counts, 0, sizeof(*counts));
	if (logread_open(&lr, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "tally: %s\n", err);
		return 2;
	}
	if (lr.hdr.file_size > lr.size)
		fprintf(stderr, "tally: %s: truncated tally log (%llu of %llu bytes): %llu events "
		        "cut off; the report is of what is left\n", path, (unsigned long long)lr.size,
		        (unsigned long long)lr.hdr.file_size, (unsigned long long)lr.events_cut);
	uint32_t nmod = lr.hdr.modules_used < lr.hdr.max_modules ? lr.hdr.modules_used
	                                                         : lr.hdr.max_modules;
	struct symbolizer *sym = symbolizer_new(lr.modules, nmod);
	if (rq->events) {
		if (out) {
			timeline_print(out, &lr, sym, rq->json);
			fflush(out);
		}
		symbolizer_free(sym);
		logread_close(&lr);
		return 0;
	}
	analysis_build(&a, &lr);
	/* The books link leaked objects to open sockets: after the analysis. */
	books_build(&books, &a, sym);
	a.books = &books;
	if (rq->range_lo) {
		analysis_port_budget(&a, rq->range_lo, rq->range_hi, rq->range_type, &budget);
		b = &budget;
	}
	if (out && rq->json) {
		report_json(out, &a, sym, b);
	} else if (out) {
		struct report_opts o = { rq->full ? 0 : 20, rq->full ? 0 : 16 };
		report_text(out, &a, sym, &o, b);
	}
	if (out)
		fflush(out);
	if (counts) {
		/* its own, for --check; kept ones (lifetime rules) are no leak */
		counts->open_sockets = a.open - a.inherited_open - books.kept_sockets;
		books_check(&books, &counts->leaked_objects, &counts->violations);
	}
	books_free(&books);
	analysis_free(&a);
	symbolizer_free(sym);
	logread_close(&lr);
	return 0;
}

int cmd_report(const char *path, const struct report_request *rq, FILE *out,
               uint64_t *open_sockets)
{
	struct report_counts counts;
	int rc = cmd_report_counts(path, rq, out, &counts);

	if (open_sockets)
		*open_sockets = counts.open_sockets;
	return rc;
}
