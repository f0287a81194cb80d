/* ratelimit.h - at most one log line per key (a peer and a kind of event)
 * per interval, and a count of the lines held back, so a hostile or broken
 * peer cannot flood the log or slow the loop with writes:
 *   "... from 127.0.0.1 (and 99,999 more like it in the 10 s before)".
 * Lines held back are handed out once their interval has ended
 * (sipc_ratelimit_flush), so a burst followed by silence is still counted
 * in the log. Memory is fixed at creation, plus the text of
 * the last line written per key: keys beyond the table's size evict the key
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
 * lines of this key were held back since the last one written (0 if none),
 * *since_ms how long ago that one was; 0: no, the line is counted, and
 * *held gets how many are held now, this one included (1: the first). */
int sipc_ratelimit_allow(sipc_ratelimit *rl, const char *key, uint64_t now_ms, uint64_t *held,
                         uint64_t *since_ms);
/* The same, letting up to burst lines of key through per interval (a
 * coarse key over many fine ones: a few of them each say their own). */
int sipc_ratelimit_allow_n(sipc_ratelimit *rl, const char *key, uint64_t burst, uint64_t now_ms,
                           uint64_t *held, uint64_t *since_ms);
/* Whether sipc_ratelimit_allow_n would let a line of key through, without
 * counting it or giving key a slot: a caller checks a coarser key first. */
int sipc_ratelimit_would_allow(sipc_ratelimit *rl, const char *key, uint64_t burst, uint64_t now_ms);
/* Keeps what a line of key said, for the report of the lines held back:
 * the line just written (allowed) when what it says is true of every line
 * of key, or the first line held when not. level and category are the
 * caller's (category is copied, up to 31 bytes). 0 or SIPC_ENOMEM (then
 * the report has no text). */
int sipc_ratelimit_remember(sipc_ratelimit *rl, const char *key, int level, const char *category,
                            const char *text);

/* What sipc_ratelimit_remember kept for key, or NULL (valid until the next
 * call on rl). */
const char *sipc_ratelimit_text(sipc_ratelimit *rl, const char *key);

/* One key's lines held back: held of them like the line that said text, in
 * the span_ms up to now. */
typedef void (*sipc_ratelimit_fn)(void *arg, int level, const char *category, const char *text,
                                  uint64_t held, uint64_t span_ms);
/* For every key whose interval since its last line has ended by now_ms
 * with lines held back (all: every key holding lines, whatever the time),
 * calls fn and forgets them; a report of more than one line counts as the
 * key's line, so lines of a flood that goes on are held again: one report
 * per interval (a report of one does not: the next line is written whole).
 * Returns when the next key holding lines is due (UINT64_MAX: none). */
uint64_t sipc_ratelimit_flush(sipc_ratelimit *rl, uint64_t now_ms, int all, sipc_ratelimit_fn fn,
                              void *arg);

#endif
