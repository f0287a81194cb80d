/* ratelimit.c - see ratelimit.h. A small open-addressing table keyed by a
 * 64-bit hash of the key; a hash collision between two keys only merges
 * their counts, which is harmless for log lines. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ratelimit.h"
#include "sipc/errno.h"

typedef struct slot {
    uint64_t hash;      /* 0: free */
    uint64_t last_line; /* when this key's interval began (a line was written) */
    uint64_t lines;     /* lines written since last_line, that one included */
    uint64_t last_seen;
    uint64_t held;
    char *text;         /* what that line said (NULL: not kept) */
    int level;
    char category[32];
} slot;

struct sipc_ratelimit {
    uint64_t interval;
    size_t n;
    slot *slots;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

int sipc_ratelimit_new(sipc_ratelimit **out, uint64_t interval_ms, size_t slots)
{
    if (!out || interval_ms == 0 || slots == 0)
        return SIPC_EINVAL;
    sipc_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return SIPC_ENOMEM;
    rl->slots = calloc(slots, sizeof *rl->slots);
    if (!rl->slots) {
        free(rl);
        return SIPC_ENOMEM;
    }
    rl->interval = interval_ms;
    rl->n = slots;
    *out = rl;
    return 0;
}

static void slot_clear(slot *s)
{
    free(s->text);
    memset(s, 0, sizeof *s);
}

void sipc_ratelimit_free(sipc_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->n; i++)
        free(rl->slots[i].text);
    free(rl->slots);
    free(rl);
}

/* Slots probed for a key: a key found nowhere among them is not there. */
enum { PROBES = 8 };

/* The key's slot, or the one to give it: a free slot, else the one seen
 * longest ago among the few probed. */
static slot *find(sipc_ratelimit *rl, uint64_t h)
{
    size_t i = (size_t)(h % rl->n);
    slot *victim = NULL;
    for (size_t k = 0; k < PROBES && k < rl->n; k++) {
        slot *s = &rl->slots[(i + k) % rl->n];
        if (s->hash == h || s->hash == 0)
            return s;
        if (!victim || s->last_seen < victim->last_seen)
            victim = s;
    }
    assert(victim);
    slot_clear(victim);
    return victim;
}

int sipc_ratelimit_allow(sipc_ratelimit *rl, const char *key, uint64_t now_ms, uint64_t *held,
                         uint64_t *since_ms)
{
    return sipc_ratelimit_allow_n(rl, key, 1, now_ms, held, since_ms);
}

int sipc_ratelimit_allow_n(sipc_ratelimit *rl, const char *key, uint64_t burst, uint64_t now_ms,
                           uint64_t *held, uint64_t *since_ms)
{
    assert(rl && key && held && since_ms && burst > 0);
    uint64_t h = hash_key(key);
    slot *s = find(rl, h);
    *held = 0;
    *since_ms = 0;
    if (s->hash != h) {
        slot_clear(s);
        s->hash = h;
        s->last_line = now_ms;
        s->last_seen = now_ms;
        s->lines = 1;
        return 1;
    }
    s->last_seen = now_ms;
    if (now_ms - s->last_line >= rl->interval) {
        *held = s->held;
        *since_ms = now_ms - s->last_line;
        s->held = 0;
        s->last_line = now_ms;
        s->lines = 1;
        return 1;
    }
    if (s->lines < burst) {
        s->lines++;
        return 1;
    }
    *held = ++s->held;
    return 0;
}

/* The key's slot, or NULL: no slot is given or taken. */
static slot *lookup(sipc_ratelimit *rl, uint64_t h)
{
    size_t i = (size_t)(h % rl->n);
    for (size_t k = 0; k < PROBES && k < rl->n; k++) {
        slot *s = &rl->slots[(i + k) % rl->n];
        if (s->hash == h)
            return s;
        if (s->hash == 0)
            return NULL;
    }
    return NULL;
}

int sipc_ratelimit_would_allow(sipc_ratelimit *rl, const char *key, uint64_t burst, uint64_t now_ms)
{
    assert(rl && key && burst > 0);
    const slot *s = lookup(rl, hash_key(key));
    return !s || now_ms - s->last_line >= rl->interval || s->lines < burst;
}

int sipc_ratelimit_remember(sipc_ratelimit *rl, const char *key, int level, const char *category,
                            const char *text)
{
    assert(rl && key && category && text);
    slot *s = lookup(rl, hash_key(key));
    if (!s)
        return 0; /* evicted since it was allowed: nothing will be held for it */
    free(s->text);
    s->text = strdup(text);
    s->level = level;
    snprintf(s->category, sizeof s->category, "%s", category);
    return s->text ? 0 : SIPC_ENOMEM;
}

const char *sipc_ratelimit_text(sipc_ratelimit *rl, const char *key)
{
    assert(rl && key);
    const slot *s = lookup(rl, hash_key(key));
    return s ? s->text : NULL;
}

uint64_t sipc_ratelimit_flush(sipc_ratelimit *rl, uint64_t now_ms, int all, sipc_ratelimit_fn fn,
                              void *arg)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < rl->n; i++) {
        slot *s = &rl->slots[i];
        if (!s->hash || !s->held)
            continue;
        uint64_t due = s->last_line + rl->interval;
        if (!all && now_ms < due) {
            if (due < next)
                next = due;
            continue;
        }
        uint64_t held = s->held, span = now_ms - s->last_line;
        s->held = 0;
        /* a report of a flood counts as the key's line: a flood that goes on
         * is held again and reported once per interval, not let through at
         * once. One line held is no flood: the next one, a while later, is
         * written whole instead of ending up in another "1 more" */
        if (held > 1) {
            s->last_line = now_ms;
            s->lines = 1;
        }
        /* fn may log, and so reach this table: it gets a copy */
        char text[1100];
        snprintf(text, sizeof text, "%s", s->text ? s->text : "(the line's text was not kept)");
        fn(arg, s->level, s->category[0] ? s->category : "Log", text, held, span);
    }
    return next;
}
