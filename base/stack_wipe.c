/* stack_wipe.c - see stack_wipe.h. */
#include "base/stack_wipe.h"

#include <string.h>

/* noinline: its array must lie below the caller's frame, where the dead
 * frames are, not inside the caller's. The empty asm tells the compiler the
 * cleared bytes are read, so the clearing is not dropped as a dead store. */
__attribute__((noinline)) void sipc_stack_wipe(void)
{
    unsigned char below[SIPC_STACK_WIPE_BYTES];
    explicit_bzero(below, sizeof below);
    __asm__ __volatile__("" : : "r"(below) : "memory");
}
