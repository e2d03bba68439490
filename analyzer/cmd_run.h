/*
 * cmd_run — `tally run`: the program under the shim, then its report.
 */
#ifndef TALLY_CMD_RUN_H
#define TALLY_CMD_RUN_H

#include <stddef.h>

#include "cli.h"

/* Returns the exit status for tally: the program's own (128+N when killed
 * by signal N), 1 for --check with leaks, 2 when it could not start. */
int cmd_run(const struct cli *c);

/* Where libtally.so is for the tally binary at exe_path: TALLY_LIB, then
 * beside the binary (build tree), then ../lib/tally/ (installed).  Returns
 * 0 and the path, or -1. */
int cmd_run_find_shim(const char *exe_path, char *out, size_t size);

#endif
