/* load_search.c - the cluster search for a run's records, asked by the
 * generator while it sends and by verification afterwards, and what its
 * answer says: the run's seqs among the hits, ids seen twice, the nodes
 * that did not answer. */
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "search.pb-c.h"

size_t load_search_request(const char *run, int64_t since_ms, int64_t until_ms, uint8_t *buf,
                           size_t cap)
{
    Sipc__Search__Attribute f = SIPC__SEARCH__ATTRIBUTE__INIT;
    f.key.data = (uint8_t *)LOAD_ATTR_RUN;
    f.key.len = strlen(LOAD_ATTR_RUN);
    f.value.data = (uint8_t *)run;
    f.value.len = strlen(run);
    Sipc__Search__Attribute *fp = &f;
    Sipc__Search__QueryRequest q = SIPC__SEARCH__QUERY_REQUEST__INIT;
    q.filters = &fp;
    q.n_filters = 1;
    q.since_ms = since_ms;
    q.until_ms = until_ms;
    q.limit = LOAD_SEARCH_LIMIT;
    size_t len = sipc__search__query_request__get_packed_size(&q);
    return len <= cap ? sipc__search__query_request__pack(&q, buf) : 0;
}

/* A missing node's name: the id from its hello, else the cluster.json node
 * at that address, else the address; no spaces or commas (ledger fields). */
static void missing_name(const load_cluster *c, const Sipc__Search__MissingNode *m, char *out,
                         size_t cap)
{
    char addr[160];
    snprintf(addr, sizeof addr, "%.*s", (int)m->address.len, (const char *)m->address.data);
    char *colon = strrchr(addr, ':');
    if (colon)
        *colon = '\0';
    snprintf(out, cap, "%s", addr);
    for (int i = 0; c && i < c->n; i++)
        if (!strcmp(c->node[i].address, addr))
            snprintf(out, cap, "%s", c->node[i].name);
    if (m->node.len)
        snprintf(out, cap, "%.*s", (int)m->node.len, (const char *)m->node.data);
    for (char *p = out; *p; p++)
        if (*p == ' ' || *p == ',')
            *p = '_';
}

int load_search_answer(const char *run, const load_cluster *c, const uint8_t *data, size_t len,
                       load_hits *h)
{
    memset(h, 0, sizeof *h);
    Sipc__Search__QueryResponse *m = sipc__search__query_response__unpack(NULL, len, data);
    if (!m)
        return SIPC_EFORMAT;
    /* the hits' seqs as bits from the lowest one: a few thousand bits */
    uint64_t lo = UINT64_MAX, seq;
    for (size_t i = 0; i < m->n_hits; i++)
        if (load_record_seq(run, m->hits[i]->id.data, m->hits[i]->id.len, &seq) == 0 && seq < lo)
            lo = seq;
    load_bits seen = {0};
    for (size_t i = 0; i < m->n_hits; i++) {
        if (load_record_seq(run, m->hits[i]->id.data, m->hits[i]->id.len, &seq) != 0)
            continue;
        if (load_bits_get(&seen, seq - lo)) {
            load_seqs_add(&h->dups, seq); /* the same id twice in one answer */
            h->ndups++;
        } else if (load_bits_set(&seen, seq - lo) == 0) {
            h->nhits++;
        }
    }
    for (uint64_t q = 0; q < seen.nbytes * 8; q++) /* hits come newest first: list them ascending */
        if (load_bits_get(&seen, q))
            load_seqs_add(&h->hits, q + lo);
    load_bits_free(&seen);
    load_seqs_end(&h->hits);
    load_seqs_end(&h->dups);
    h->all_hits = m->n_hits;
    h->partial = m->partial;
    for (size_t i = 0; i < m->n_nodes_missing; i++) {
        const Sipc__Search__MissingNode *x = m->nodes_missing[i];
        char name[160];
        missing_name(c, x, name, sizeof name);
        size_t have = strlen(h->missing);
        snprintf(h->missing + have, sizeof h->missing - have, "%s%s", have ? "," : "", name);
        have = strlen(h->detail);
        snprintf(h->detail + have, sizeof h->detail - have, "%s%s (%.*s): %.*s", have ? "; " : "",
                 name, (int)x->address.len, (const char *)x->address.data, (int)x->reason.len,
                 (const char *)x->reason.data);
    }
    sipc__search__query_response__free_unpacked(m, NULL);
    return 0;
}

void load_hits_free(load_hits *h)
{
    load_text_free(&h->hits);
    load_text_free(&h->dups);
}
