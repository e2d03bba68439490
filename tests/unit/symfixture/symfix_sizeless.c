/*
 * Fixture code linked between symfix_below.c and symfix.c, so that the
 * nearest exported symbol below symfix_hidden has no size.
 */
#include "symfix.h"

/* An exported symbol without a size, as hand-written assembly often has.
 * A nearest-symbol lookup (dwfl_module_addrinfo among them) names frames
 * of symfix_hidden after it.  It has an FDE of its own. */
__asm__(".text\n"
        ".globl symfix_sizeless\n"
        ".type symfix_sizeless, %function\n"
        "symfix_sizeless:\n"
        ".cfi_startproc\n"
        "\tret\n"
        ".cfi_endproc\n");
