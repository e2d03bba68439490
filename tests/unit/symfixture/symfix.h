/*
 * Fixture library for test_symbolize: an exported function and a static one
 * that each call back into the test, so the test holds a real return
 * address inside each.  The line numbers below are those of the two calls;
 * symfix.c checks them at compile time.
 */
#ifndef SYMFIX_H
#define SYMFIX_H

#define SYMFIX_EXPORTED_CALL_LINE 24
#define SYMFIX_HIDDEN_CALL_LINE 17

typedef void (*symfix_cb)(void);

typedef int (*symfix_fn)(symfix_cb cb);

/* Calls cb, then the static function (which calls cb again). */
int symfix_exported(symfix_cb cb);

/* The static function, whose name is not in .dynsym. */
symfix_fn symfix_hidden_address(void);

/* In symfix_below.c and symfix_sizeless.c, linked before symfix.c, so that
 * in the stripped build the nearest exported symbols below the static
 * function are wrong answers.  symfix_sizeless is assembly with no symbol
 * size but with an FDE. */
int symfix_before(int x);
void symfix_sizeless(void);

#endif /* SYMFIX_H */
