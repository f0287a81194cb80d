/* verdict_cache.c - accepted chains of one trust configuration (see
 * verdict_cache.h). A handful of peers reconnect over and over, so a small
 * table scanned in full is enough; entries are compared byte for byte. */
#include "certs/verdict_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A chain larger than this is verified every time (never seen in practice;
 * keeps the cache's memory bounded at entries x this). */
#define VERDICT_MAX_BYTES (64 * 1024)

typedef struct entry {
    uint8_t *bytes; /* the certificates' DER, one after the other; NULL: free */
    size_t lens[SIPC_VFY_MAX_LINKS];
    size_t total;
    int n;
    int purpose;
    time_t from, until; /* the verdict's window, inclusive */
    uint64_t born;      /* insertion order: the oldest makes room */
} entry;

struct sipc_verdict_cache {
    const sipc_trust *trust;
    pthread_mutex_t lock;
    entry e[SIPC_VERDICT_CACHE_ENTRIES];
    uint64_t clock;
    uint64_t hits;
};

int sipc_verdict_cache_new(sipc_verdict_cache **out, const sipc_trust *t)
{
    sipc_verdict_cache *c = calloc(1, sizeof *c);
    if (!c)
        return SIPC_ENOMEM;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return SIPC_ENOMEM;
    }
    c->trust = t;
    *out = c;
    return 0;
}

void sipc_verdict_cache_free(sipc_verdict_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SIPC_VERDICT_CACHE_ENTRIES; i++)
        free(c->e[i].bytes);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static size_t chain_bytes(const sipc_der *chain, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += chain[i].len;
    return total;
}

/* Under c->lock: the entry holding exactly this chain for purpose. */
static entry *find(sipc_verdict_cache *c, const sipc_der *chain, int n, int purpose, size_t total)
{
    for (int k = 0; k < SIPC_VERDICT_CACHE_ENTRIES; k++) {
        entry *e = &c->e[k];
        if (!e->bytes || e->n != n || e->purpose != purpose || e->total != total)
            continue;
        int same = 1;
        for (int i = 0; i < n && same; i++)
            same = e->lens[i] == chain[i].len;
        size_t off = 0;
        for (int i = 0; i < n && same; i++) {
            same = chain[i].len == 0 || memcmp(e->bytes + off, chain[i].data, chain[i].len) == 0;
            off += chain[i].len;
        }
        if (same)
            return e;
    }
    return NULL;
}

/* Under c->lock: remembers an accepted chain (best effort: without memory,
 * nothing is kept). */
static void put(sipc_verdict_cache *c, const sipc_der *chain, int n, int purpose, size_t total,
                time_t from, time_t until)
{
    entry *e = find(c, chain, n, purpose, total);
    if (!e) {
        e = &c->e[0];
        for (int k = 0; k < SIPC_VERDICT_CACHE_ENTRIES && e->bytes; k++)
            if (!c->e[k].bytes || c->e[k].born < e->born)
                e = &c->e[k];
        uint8_t *b = malloc(total);
        if (!b)
            return;
        free(e->bytes);
        memset(e, 0, sizeof *e);
        e->bytes = b;
        size_t off = 0;
        for (int i = 0; i < n; i++) {
            if (chain[i].len)
                memcpy(b + off, chain[i].data, chain[i].len);
            e->lens[i] = chain[i].len;
            off += chain[i].len;
        }
        e->total = total;
        e->n = n;
        e->purpose = purpose;
    }
    e->from = from;
    e->until = until;
    e->born = ++c->clock;
}

int sipc_verdict_cache_verify(sipc_verdict_cache *c, const sipc_der *chain, int n, int purpose,
                              time_t now, sipc_vfy_result *res)
{
    size_t total = chain && n > 0 && n <= SIPC_VFY_MAX_LINKS ? chain_bytes(chain, n) : 0;
    int cacheable = total > 0 && total <= VERDICT_MAX_BYTES;
    if (cacheable) {
        pthread_mutex_lock(&c->lock);
        entry *e = find(c, chain, n, purpose, total);
        int hit = e && now >= e->from && now <= e->until;
        time_t from = hit ? e->from : 0, until = hit ? e->until : 0;
        if (hit)
            c->hits++;
        pthread_mutex_unlock(&c->lock);
        if (hit) {
            if (res) {
                memset(res, 0, sizeof *res);
                res->status = SIPC_VFY_OK;
                res->depth = -1;
                res->valid_from = from;
                res->valid_until = until;
            }
            return 0;
        }
    }
    sipc_vfy_result local;
    sipc_vfy_result *r = res ? res : &local;
    int rc = sipc_trust_verify(c->trust, chain, n, purpose, now, r);
    if (rc == 0 && cacheable) {
        pthread_mutex_lock(&c->lock);
        put(c, chain, n, purpose, total, r->valid_from, r->valid_until);
        pthread_mutex_unlock(&c->lock);
    }
    return rc;
}

uint64_t sipc_verdict_cache_hits(const sipc_verdict_cache *c)
{
    pthread_mutex_t *m = (pthread_mutex_t *)&c->lock;
    pthread_mutex_lock(m);
    uint64_t h = c->hits;
    pthread_mutex_unlock(m);
    return h;
}
