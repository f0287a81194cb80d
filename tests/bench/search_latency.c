/* search_latency.c - latency of search.query on one node of a running
 * cluster, over one connection kept open, one call at a time.
 *
 *   search-latency HOME QUERIES [REPS]
 *
 * HOME is a node home (sipc.conf and, with TLS, the imported pair), read as
 * sipcctl reads it: sipc_config_load, sipc_security_load_client,
 * sipc_options_from_config (sipc/node.h, the public API). The client connects
 * to that node's search port and waits for SIPC_CONN_UP, so process start,
 * TCP connect and the TLS handshake are not measured.
 *
 * QUERIES has one query a line, five fields separated by tabs:
 *   KIND  QUERY  FILTERS  SINCE  UNTIL
 * KIND labels the line in the output (word, and, attr, time, ...); QUERY is
 * the FTS5 expression; FILTERS is KEY=VALUE[,KEY=VALUE...]; SINCE and UNTIL
 * are RFC 3339 times; "-" leaves a field empty. Every query asks limit 100,
 * order newest (sipcctl search's defaults).
 *
 * One unmeasured pass over every query comes first: it brings up the
 * coordinator's links to the other nodes' search.local (their handshakes
 * belong to the first query otherwise) and warms the page cache. Then REPS
 * (default 3) measured passes; latency = sipc_call() to its callback. A call
 * that fails or answers partial (a node missing) ends the run with exit 1:
 * its time would not be a cluster-wide search's.
 *
 * Output: one line per query on stderr (kind, hits, more, median ms), then
 *   RESULT phase=search node=ID queries=Q reps=R calls=N nodes=K
 *          p50_ms=A p90_ms=B max_ms=C mean_ms=D
 *   RESULT phase=search kind=KIND calls=N p50_ms=A max_ms=C   (one per kind)
 * Percentiles are nearest-rank over every measured call.
 * Exit status: 0 ok, 1 failure, 64 bad usage. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "search.pb-c.h"
#include "search_time.h"
#include "sipc/node.h"

#define MAX_QUERIES 1000
#define MAX_FILTERS 8
#define MAX_REPS 100
#define CALL_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 10000

typedef struct query {
    char kind[32];
    uint8_t *payload;
    size_t len;
    uint64_t hits;
    int more;
    double *ms; /* REPS measured latencies */
} query;

typedef struct client {
    uv_loop_t loop;
    sipc_ctx *ctx;
    sipc_channel *ch;
    int up;
    /* the call in progress */
    int done, err, status;
    char message[256];
    uint8_t *data;
    size_t len;
} client;

static void on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    client *c = arg;
    (void)conn;
    (void)err;
    if (ev == SIPC_CONN_UP)
        c->up = 1;
}

static void on_reply(int err, const sipc_reply *r, void *arg)
{
    client *c = arg;
    c->err = err;
    c->status = r->status;
    snprintf(c->message, sizeof c->message, "%s", r->message ? r->message : "");
    c->len = 0;
    c->data = NULL;
    if (!err && r->len) {
        c->data = malloc(r->len);
        if (c->data) {
            memcpy(c->data, r->data, r->len);
            c->len = r->len;
        } else {
            c->err = SIPC_ENOMEM;
        }
    }
    c->done = 1;
}

static void on_timeout(uv_timer_t *t)
{
    (void)t;
}

/* Splits line at tabs into exactly n fields (in place); 0 or -1. */
static int split(char *line, char **f, int n)
{
    for (int i = 0; i < n; i++) {
        f[i] = line;
        char *t = strchr(line, i + 1 < n ? '\t' : '\n');
        if (!t) {
            if (i + 1 < n)
                return -1;
            break;
        }
        *t = '\0';
        line = t + 1;
    }
    return 0;
}

static int build(query *q, char *line, unsigned long lineno)
{
    char *f[5], err[300];
    if (split(line, f, 5) != 0) {
        fprintf(stderr, "search-latency: line %lu: want 5 tab-separated fields\n", lineno);
        return -1;
    }
    for (int i = 1; i < 5; i++)
        if (!strcmp(f[i], "-"))
            f[i] = "";
    snprintf(q->kind, sizeof q->kind, "%s", f[0]);
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    Sipc__Search__Attribute av[MAX_FILTERS], *ap[MAX_FILTERS];
    m.query.data = (uint8_t *)f[1];
    m.query.len = strlen(f[1]);
    size_t nf = 0;
    for (char *kv = f[2], *next; *kv && nf < MAX_FILTERS; kv = next) {
        next = strchr(kv, ',');
        if (next)
            *next++ = '\0';
        else
            next = kv + strlen(kv);
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            fprintf(stderr, "search-latency: line %lu: filter '%s' is not KEY=VALUE\n", lineno, kv);
            return -1;
        }
        sipc__search__attribute__init(&av[nf]);
        av[nf].key.data = (uint8_t *)kv;
        av[nf].key.len = (size_t)(eq - kv);
        av[nf].value.data = (uint8_t *)eq + 1;
        av[nf].value.len = strlen(eq + 1);
        ap[nf] = &av[nf];
        nf++;
    }
    m.filters = ap;
    m.n_filters = nf;
    if ((*f[3] && search_time_parse(f[3], &m.since_ms, err, sizeof err) != 0) ||
        (*f[4] && search_time_parse(f[4], &m.until_ms, err, sizeof err) != 0)) {
        fprintf(stderr, "search-latency: line %lu: %s\n", lineno, err);
        return -1;
    }
    m.limit = 100;
    m.order = SIPC__SEARCH__ORDER__NEWEST;
    q->len = sipc__search__query_request__get_packed_size(&m);
    q->payload = malloc(q->len ? q->len : 1);
    if (!q->payload)
        return -1;
    sipc__search__query_request__pack(&m, q->payload);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p of the sample at or below it. */
static double pct(const double *sorted, size_t n, double p)
{
    size_t k = (size_t)(p * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

/* One search.query; its latency in ms, or a negative value on failure. */
static double call(client *c, query *q, const char *node, size_t *nodes)
{
    c->done = 0;
    uint64_t t0 = uv_hrtime();
    int e = sipc_call(c->ch, "search", "query", q->payload, q->len, CALL_TIMEOUT_MS, on_reply, c);
    if (e != 0) {
        fprintf(stderr, "search-latency: sipc_call: %s\n", sipc_strerror(e));
        return -1;
    }
    /* the call's deadline bounds this loop */
    while (!c->done && uv_run(&c->loop, UV_RUN_ONCE))
        ;
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    if (!c->done || c->err) {
        fprintf(stderr, "search-latency: search.query on %s (%s): %s status %d: %s\n", node,
                q->kind, c->done ? sipc_strerror(c->err) : "loop ended", c->status, c->message);
        free(c->data);
        return -1;
    }
    Sipc__Search__QueryResponse *r = sipc__search__query_response__unpack(NULL, c->len, c->data);
    free(c->data);
    c->data = NULL;
    if (!r) {
        fprintf(stderr, "search-latency: the answer is not a QueryResponse\n");
        return -1;
    }
    int partial = r->partial;
    q->hits = r->n_hits;
    q->more = r->more;
    *nodes = r->n_nodes_answered;
    for (size_t i = 0; partial && i < r->n_nodes_missing; i++)
        fprintf(stderr, "search-latency: node missing: %.*s: %.*s\n",
                (int)r->nodes_missing[i]->address.len,
                (const char *)r->nodes_missing[i]->address.data,
                (int)r->nodes_missing[i]->reason.len,
                (const char *)r->nodes_missing[i]->reason.data);
    sipc__search__query_response__free_unpacked(r, NULL);
    if (partial) {
        fprintf(stderr, "search-latency: partial answer (%s)\n", q->kind);
        return -1;
    }
    return ms;
}

static void closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: search-latency HOME QUERIES [REPS]\n");
        return 64;
    }
    int reps = argc == 4 ? atoi(argv[3]) : 3;
    if (reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "search-latency: REPS must be 1..%d\n", MAX_REPS);
        return 64;
    }

    static query qs[MAX_QUERIES];
    size_t nq = 0;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char line[4096];
    unsigned long lineno = 0;
    while (nq < MAX_QUERIES && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (build(&qs[nq], line, lineno) != 0) {
            fclose(f);
            return 1;
        }
        qs[nq].ms = calloc((size_t)reps, sizeof(double));
        if (!qs[nq].ms)
            return 1;
        nq++;
    }
    fclose(f);
    if (nq == 0) {
        fprintf(stderr, "search-latency: %s has no queries\n", argv[2]);
        return 1;
    }

    static sipc_config cfg;
    char err[1024] = "";
    if (sipc_config_load(&cfg, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "search-latency: %s\n", err);
        return 1;
    }
    sipc_security *sec;
    if (sipc_security_load_client(&sec, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "search-latency: %s\n", err);
        return 1;
    }
    char host[160];
    int port;
    if (sipc_parse_address(cfg.address, sipc_config_port(&cfg, "search"), host, sizeof host,
                           &port) != 0) {
        fprintf(stderr, "search-latency: bad node address '%s'\n", cfg.address);
        return 1;
    }
    client c;
    memset(&c, 0, sizeof c);
    uv_loop_init(&c.loop);
    sipc_options opts;
    sipc_options_from_config(&opts, &cfg);
    opts.node_id = "search-latency";
    int e = sipc_ctx_new(&c.ctx, &c.loop, &opts, sec);
    sipc_security_release(sec);
    if (e == 0)
        e = sipc_channel_open(&c.ch, c.ctx, host, port, NULL);
    if (e != 0) {
        fprintf(stderr, "search-latency: %s:%d: %s\n", host, port, sipc_strerror(e));
        return 1;
    }
    sipc_channel_set_conn_cb(c.ch, on_conn, &c);
    uv_timer_t timer;
    uv_timer_init(&c.loop, &timer);
    uv_timer_start(&timer, on_timeout, CONNECT_TIMEOUT_MS, 0);
    /* the timer bounds this loop */
    while (!c.up && uv_is_active((uv_handle_t *)&timer) && uv_run(&c.loop, UV_RUN_ONCE))
        ;
    uv_timer_stop(&timer);
    uv_close((uv_handle_t *)&timer, NULL);
    int rc = 0;
    size_t nodes = 0;
    if (!c.up) {
        fprintf(stderr, "search-latency: %s:%d did not come up in %d ms: %s\n", host, port,
                CONNECT_TIMEOUT_MS, sipc_channel_last_detail(c.ch));
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < nq; i++)
        if (call(&c, &qs[i], cfg.node_id, &nodes) < 0)
            rc = 1;
    for (int r = 0; rc == 0 && r < reps; r++)
        for (size_t i = 0; rc == 0 && i < nq; i++)
            if ((qs[i].ms[r] = call(&c, &qs[i], cfg.node_id, &nodes)) < 0)
                rc = 1;

    if (rc == 0) {
        size_t n = nq * (size_t)reps;
        double *all = malloc(n * sizeof *all), sum = 0;
        if (!all)
            return 1;
        for (size_t i = 0; i < nq; i++) {
            qsort(qs[i].ms, (size_t)reps, sizeof(double), cmp_double);
            fprintf(stderr, "query %2zu %-6s hits=%3llu more=%d p50_ms=%.2f max_ms=%.2f\n", i + 1,
                    qs[i].kind, (unsigned long long)qs[i].hits, qs[i].more,
                    pct(qs[i].ms, (size_t)reps, 0.5), qs[i].ms[reps - 1]);
            for (int r = 0; r < reps; r++) {
                all[i * (size_t)reps + (size_t)r] = qs[i].ms[r];
                sum += qs[i].ms[r];
            }
        }
        qsort(all, n, sizeof *all, cmp_double);
        printf("RESULT phase=search node=%s queries=%zu reps=%d calls=%zu nodes=%zu p50_ms=%.2f "
               "p90_ms=%.2f max_ms=%.2f mean_ms=%.2f\n",
               cfg.node_id, nq, reps, n, nodes, pct(all, n, 0.5), pct(all, n, 0.9), all[n - 1],
               sum / (double)n);
        /* per kind, in the order kinds first appear */
        for (size_t i = 0; i < nq; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(qs[j].kind, qs[i].kind);
            if (seen)
                continue;
            size_t k = 0;
            for (size_t j = 0; j < nq; j++)
                if (!strcmp(qs[j].kind, qs[i].kind))
                    for (int r = 0; r < reps; r++)
                        all[k++] = qs[j].ms[r];
            qsort(all, k, sizeof *all, cmp_double);
            printf("RESULT phase=search kind=%s calls=%zu p50_ms=%.2f max_ms=%.2f\n", qs[i].kind,
                   k, pct(all, k, 0.5), all[k - 1]);
        }
        free(all);
    }
    sipc_ctx_close(c.ctx, closed, NULL);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    uv_loop_close(&c.loop);
    for (size_t i = 0; i < nq; i++) {
        free(qs[i].payload);
        free(qs[i].ms);
    }
    return rc;
}
