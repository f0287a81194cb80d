/* stack_wipe.h - clears the stack below the caller, where the frames of the
 * calls it has returned from lie dead.
 *
 * A secret a library copies into its locals (wolfCrypt decoding or importing
 * a private key, say) stays in those dead frames until a later call happens
 * to overwrite them; on a thread-pool worker that may be never. A function
 * that handled such a secret calls this before it returns. */
#ifndef SIPC_BASE_STACK_WIPE_H
#define SIPC_BASE_STACK_WIPE_H

#include <stddef.h>

/* How deep below the caller it clears: more than a private key's decoding,
 * import and use in a TLS context take (wolfSSL's big-stack build
 * included). */
#define SIPC_STACK_WIPE_BYTES (128u << 10)

/* Zeroes SIPC_STACK_WIPE_BYTES of stack below the caller's frame, or what
 * the thread's stack has left below it less 16 KiB when that is less (a
 * thread with a small stack is not overrun; the copies a key's load leaves
 * lie 16-32 KiB deep, so they are cleared where at least 48 KiB are left). */
void sipc_stack_wipe(void);

/* The same to a depth of the caller's choosing (rounded down to 4 KiB), for
 * a hot path that knows how deep the secrets it leaves lie: clearing costs
 * about a microsecond per 16 KiB. */
void sipc_stack_wipe_depth(size_t bytes);

#endif
