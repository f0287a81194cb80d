/* ratelimit.h - at most one log line per key (a peer and a kind of event)
 * per interval, and a count of the lines held back, so a hostile or broken
 * peer cannot flood the log or slow the loop with writes:
 *   "... from 127.0.0.1 (and 99,999 more like it in the last 10 s)".
 * Memory is fixed at creation: keys beyond the table's size evict the key
 * seen longest ago (its held-back count is lost, never the next line). */
#ifndef SIPC_BASE_RATELIMIT_H
#define SIPC_BASE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipc_ratelimit sipc_ratelimit;

/* interval_ms > 0; slots: how many keys are tracked at once (> 0). */
int sipc_ratelimit_new(sipc_ratelimit **out, uint64_t interval_ms, size_t slots);
void sipc_ratelimit_free(sipc_ratelimit *rl);
/* May a line for key be written at now_ms? 1: yes, and *held gets how many
 * lines of this key were held back since the last one written (0 if none);
 * 0: no, the line is counted. */
int sipc_ratelimit_allow(sipc_ratelimit *rl, const char *key, uint64_t now_ms, uint64_t *held);

#endif
