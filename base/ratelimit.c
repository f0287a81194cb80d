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

/* Kinds tracked at once, and distinct hosts counted exactly per kind: a
 * flood from more says "more than 64 hosts", in fixed memory. */
enum { KINDS = 16, KIND_HOSTS = 64 };

typedef struct kind {
    uint64_t hash;       /* 0: free */
    uint64_t lines;      /* first lines let through in the current window */
    uint64_t held;       /* counted since held_since, not written */
    uint64_t held_since;
    uint64_t last_seen;
    uint32_t hosts[KIND_HOSTS];
    unsigned nhosts;
    int hosts_over;
    char *text;          /* the first line counted (NULL: not kept) */
    int level;
    char category[32];
} kind;

struct sipc_ratelimit {
    uint64_t interval;
    size_t n;
    slot *slots;
    uint64_t per_kind, total; /* the second level's budget; 0: none */
    uint64_t window_start, window_lines;
    kind kinds[KINDS];
    kind various; /* kinds evicted from kinds[] while holding lines */
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

static int addr_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == '.' || c == ':' || c == '[' || c == ']' || c == '/';
}

static int word_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* The length of the address (IPv4 with its dots, IPv6 with its colons,
 * with a port or a prefix length) that starts at s, or 0: a word of hex
 * letters, a version number, a count are not one. */
static size_t addr_len(const char *s)
{
    size_t n = 0, dots = 0, colons = 0, digits = 0;
    for (; addr_char(s[n]); n++) {
        dots += s[n] == '.';
        colons += s[n] == ':';
        digits += s[n] >= '0' && s[n] <= '9';
    }
    if (word_char(s[n]) || !digits || (dots < 3 && colons < 2))
        return 0;
    return n;
}

/* A key's kind, the hash of the key with every address in it as '*', and
 * the hash of its first address, the host (0: none). */
static uint64_t kind_of(const char *key, uint32_t *host)
{
    uint64_t h = 1469598103934665603ULL;
    *host = 0;
    for (const char *s = key; *s;) {
        size_t a = (s == key || !word_char(s[-1])) ? addr_len(s) : 0;
        unsigned char c = a ? '*' : (unsigned char)*s;
        if (a && !*host) {
            uint32_t hh = 2166136261u;
            for (size_t i = 0; i < a; i++)
                hh = (hh ^ (unsigned char)s[i]) * 16777619u;
            *host = hh ? hh : 1;
        }
        s += a ? a : 1;
        h = (h ^ c) * 1099511628211ULL;
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

static void kind_clear_held(kind *k)
{
    free(k->text);
    k->text = NULL;
    k->held = 0;
    k->nhosts = 0;
    k->hosts_over = 0;
}

void sipc_ratelimit_free(sipc_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->n; i++)
        free(rl->slots[i].text);
    for (size_t i = 0; i < KINDS; i++)
        free(rl->kinds[i].text);
    free(rl->various.text);
    free(rl->slots);
    free(rl);
}

void sipc_ratelimit_set_budget(sipc_ratelimit *rl, uint64_t per_kind, uint64_t total)
{
    assert(rl);
    rl->per_kind = per_kind;
    rl->total = total;
}

static void kind_add_host(kind *k, uint32_t host)
{
    if (!host || k->hosts_over)
        return;
    for (unsigned i = 0; i < k->nhosts; i++)
        if (k->hosts[i] == host)
            return;
    if (k->nhosts == KIND_HOSTS)
        k->hosts_over = 1;
    else
        k->hosts[k->nhosts++] = host;
}

/* Counts held lines under k; the first text given is kept. */
static void kind_count(kind *k, uint64_t held, uint32_t host, int level, const char *category,
                       const char *text, uint64_t now)
{
    if (!k->held)
        k->held_since = now;
    k->held += held;
    kind_add_host(k, host);
    if (text && !k->text) {
        k->text = strdup(text); /* NULL: the report says it was not kept */
        k->level = level;
        snprintf(k->category, sizeof k->category, "%s", category);
    }
}

/* What one kind held, added to the lines of various kinds. */
static void kind_merge(sipc_ratelimit *rl, kind *k)
{
    kind *v = &rl->various;
    if (!v->held)
        v->held_since = k->held_since;
    v->held += k->held;
    for (unsigned i = 0; i < k->nhosts; i++)
        kind_add_host(v, k->hosts[i]);
    v->hosts_over |= k->hosts_over;
    if (!v->text && k->text) {
        v->text = k->text;
        k->text = NULL;
        v->level = k->level;
        snprintf(v->category, sizeof v->category, "%s", k->category);
    }
}

/* The kind's entry, or the one to give it: a free one, else the one seen
 * longest ago, whose held lines go to the various kinds. */
static kind *kind_get(sipc_ratelimit *rl, uint64_t h, uint64_t now)
{
    kind *victim = NULL;
    for (size_t i = 0; i < KINDS; i++) {
        kind *k = &rl->kinds[i];
        if (k->hash == h) {
            k->last_seen = now;
            return k;
        }
        if (!victim || !k->hash || (victim->hash && k->last_seen < victim->last_seen))
            victim = k;
    }
    if (victim->held)
        kind_merge(rl, victim);
    kind_clear_held(victim);
    victim->hash = h;
    victim->lines = 0;
    victim->last_seen = now;
    return victim;
}

/* A new interval: the budget is whole again (what is held is reported by
 * sipc_ratelimit_flush_kinds, each kind an interval after its first). */
static void window_roll(sipc_ratelimit *rl, uint64_t now)
{
    if (now - rl->window_start < rl->interval)
        return;
    rl->window_start = now;
    rl->window_lines = 0;
    for (size_t i = 0; i < KINDS; i++)
        rl->kinds[i].lines = 0;
}

int sipc_ratelimit_take(sipc_ratelimit *rl, uint64_t now_ms)
{
    assert(rl);
    window_roll(rl, now_ms);
    if (rl->total && rl->window_lines >= rl->total)
        return 0;
    rl->window_lines++;
    return 1;
}

void sipc_ratelimit_fold(sipc_ratelimit *rl, const char *text, uint64_t held, int level,
                         const char *category, uint64_t now_ms)
{
    assert(rl && category);
    uint32_t host = 0;
    kind *k = text ? kind_get(rl, kind_of(text, &host), now_ms) : &rl->various;
    kind_count(k, held, host, level, category, text, now_ms);
}

int sipc_ratelimit_admit(sipc_ratelimit *rl, const char *key, uint64_t now_ms, uint64_t *held)
{
    assert(rl && key && held);
    *held = 0;
    if (!rl->per_kind && !rl->total)
        return 1;
    window_roll(rl, now_ms);
    uint32_t host;
    kind *k = kind_get(rl, kind_of(key, &host), now_ms);
    if ((!rl->per_kind || k->lines < rl->per_kind) && sipc_ratelimit_take(rl, now_ms)) {
        k->lines++;
        return 1;
    }
    kind_count(k, 1, host, 0, "", NULL, now_ms);
    *held = k->held;
    return 0;
}

int sipc_ratelimit_remember_kind(sipc_ratelimit *rl, const char *key, int level,
                                 const char *category, const char *text)
{
    assert(rl && key && category && text);
    uint32_t host;
    uint64_t h = kind_of(key, &host);
    for (size_t i = 0; i < KINDS; i++) {
        kind *k = &rl->kinds[i];
        if (k->hash != h || k->text)
            continue;
        kind_count(k, 0, 0, level, category, text, k->held_since);
        return k->text ? 0 : SIPC_ENOMEM;
    }
    return 0; /* gone to the various kinds since: they keep another's text */
}

uint64_t sipc_ratelimit_flush_kinds(sipc_ratelimit *rl, uint64_t now_ms, int all,
                                    sipc_ratelimit_kind_fn fn, void *arg)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i <= KINDS; i++) {
        kind *k = i < KINDS ? &rl->kinds[i] : &rl->various;
        if (!k->held)
            continue;
        uint64_t due = k->held_since + rl->interval;
        if (!all && now_ms < due) {
            if (due < next)
                next = due;
            continue;
        }
        /* fn may log, and so reach this table: it gets copies */
        char text[1100], category[32];
        snprintf(text, sizeof text, "%s", k->text ? k->text : "(the line's text was not kept)");
        snprintf(category, sizeof category, "%s", k->category[0] ? k->category : "Log");
        sipc_ratelimit_kind_report r = {
            .level = k->level, .category = category, .text = text, .held = k->held,
            .span_ms = now_ms - k->held_since, .hosts = k->nhosts, .hosts_over = k->hosts_over,
            .various = k == &rl->various};
        kind_clear_held(k);
        fn(arg, &r);
    }
    return next;
}

/* Slots probed for a key: a key found nowhere among them is not there. */
enum { PROBES = 8 };

/* The key's slot, or the one to give it: a free slot, else the one seen
 * longest ago among the few probed. */
static slot *find(sipc_ratelimit *rl, uint64_t h, uint64_t now)
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
    if (victim->held) /* counted under its kind, not lost */
        sipc_ratelimit_fold(rl, victim->text, victim->held, victim->level,
                            victim->category[0] ? victim->category : "Log", now);
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
    slot *s = find(rl, h, now_ms);
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
        if (!sipc_ratelimit_take(rl, now_ms)) { /* past the budget: its kind says them */
            sipc_ratelimit_fold(rl, s->text, held, s->level,
                                s->category[0] ? s->category : "Log", now_ms);
            continue;
        }
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
