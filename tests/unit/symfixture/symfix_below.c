/*
 * Fixture code that must sit below symfix_hidden in memory: the linker lays
 * out .text in command-line order (symfix_below, symfix_sizeless, symfix),
 * while compilers may reorder what is inside one file.
 */
#include "symfix.h"

int symfix_before(int x)
{
	return x * 3 + 1;
}
