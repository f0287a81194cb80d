/* ratelimit.h - at most one log line per key (a peer and a kind of event)
 * per interval, and a count of the lines held back, so a hostile or broken
 * peer cannot flood the log or slow the loop with writes:
 *   "... from 127.0.0.1 (and 99,999 more like it in the 10 s before)".
 * Lines held back are handed out once their interval has ended
 * (sipc_ratelimit_flush), so a burst followed by silence is still counted
 * in the log. Memory is fixed at creation, plus the text of
 * the last line written per key: keys beyond the table's size evict the key
 * seen longest ago (its held-back count goes to its kind, below, never lost).
 *
 * A second level bounds the lines whatever the number of keys: with a
 * budget set, a key's first line is written only while its kind (the key
 * with every address in it folded, so the same event from any host) has
 * had fewer than per_kind first lines in the current interval, and all keys
 * together fewer than total lines (first lines and reports). Past it, the
 * line is counted under its kind, with about how many hosts sent it, and
 * the kind is reported once per interval (sipc_ratelimit_flush_kinds).
 * Many hosts taking turns would otherwise evict each other's keys before
 * their next line, making every line a first one. */
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
 * per interval (a report of one does not: the next line is written whole);
 * a report past the budget's total is counted under its kind instead.
 * Returns when the next key holding lines is due (UINT64_MAX: none). */
uint64_t sipc_ratelimit_flush(sipc_ratelimit *rl, uint64_t now_ms, int all, sipc_ratelimit_fn fn,
                              void *arg);

/* The second level (above): per_kind first lines per kind and total lines
 * in all per interval (0: no limit), over at most 16 kinds at once (more
 * are counted together as lines "of various kinds"). */
void sipc_ratelimit_set_budget(sipc_ratelimit *rl, uint64_t per_kind, uint64_t total);
/* May key's first line of an interval (sipc_ratelimit_would_allow said so)
 * be written at now_ms? 1: yes, counted against the budget; 0: no, counted
 * under its kind, and *held gets how many its kind holds now (1: the first,
 * whose text the caller keeps with sipc_ratelimit_remember_kind). */
int sipc_ratelimit_admit(sipc_ratelimit *rl, const char *key, uint64_t now_ms, uint64_t *held);
int sipc_ratelimit_remember_kind(sipc_ratelimit *rl, const char *key, int level,
                                 const char *category, const char *text);
/* A report of held lines the caller writes itself: 1 it may (counted
 * against the total), 0 not: then it gives them to
 * sipc_ratelimit_fold, which counts held lines like text under its kind. */
int sipc_ratelimit_take(sipc_ratelimit *rl, uint64_t now_ms);
void sipc_ratelimit_fold(sipc_ratelimit *rl, const char *text, uint64_t held, int level,
                         const char *category, uint64_t now_ms);

/* One kind's lines counted past the budget: held of them, like the first
 * one, text, in span_ms up to now, from hosts distinct hosts (more than
 * that when hosts_over; 0: their keys named none); various: lines of many
 * kinds counted together once the kinds' table was full. */
typedef struct sipc_ratelimit_kind_report {
    int level;
    const char *category, *text;
    uint64_t held, span_ms;
    unsigned hosts;
    int hosts_over, various;
} sipc_ratelimit_kind_report;
typedef void (*sipc_ratelimit_kind_fn)(void *arg, const sipc_ratelimit_kind_report *r);
/* Reports every kind holding lines whose interval since its first held line
 * has ended by now_ms (all: every one) and forgets them; returns when the
 * next is due (UINT64_MAX: none). */
uint64_t sipc_ratelimit_flush_kinds(sipc_ratelimit *rl, uint64_t now_ms, int all,
                                    sipc_ratelimit_kind_fn fn, void *arg);

#endif
