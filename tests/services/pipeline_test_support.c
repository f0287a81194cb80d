/* pipeline_test_support.c - see pipeline_test_support.h. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline_test_support.h"

size_t pw_max_frame;

void pw_options(sipc_options *o, const char *id, tu_log *log)
{
    sipc_options_init(o);
    if (pw_max_frame)
        o->max_frame = pw_max_frame;
    o->node_id = id;
    o->cluster = "test";
    o->log = tu_log_sink;
    o->log_arg = log;
    o->reconnect_min_ms = 20;
    o->reconnect_max_ms = 200;
}

static void start_node(pw *w, int i, sipc_tls_mode mode, const char *pem,
                       const sipc_data_options *dopts)
{
    pw_node *n = &w->n[i];
    char tag[32], dir[600], id[16];
    snprintf(tag, sizeof tag, "pipenode%d", i);
    n->home = tu_mkdtemp(tag);
    assert_non_null(n->home);
    snprintf(dir, sizeof dir, "%s/data", n->home);
    char err[512] = "";
    int rc = sipc_data_open(&n->d, &w->loop, dir, dopts, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "sipc_data_open: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(sipc_router_new(&n->router), 0);
    assert_int_equal(sipc_data_register(n->d, n->router), 0);
    snprintf(id, sizeof id, "n%d", i);
    sipc_options o;
    pw_options(&o, id, &n->log);
    n->sec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_new(&n->ctx, &w->loop, &o, n->sec), 0);
    assert_int_equal(
        sipc_server_listen(&n->srv, n->ctx, "Data Service", "127.0.0.1", 0, n->router), 0);
    n->port = sipc_server_port(n->srv);
    snprintf(n->name, sizeof n->name, "127.0.0.1:%d", n->port);
}

pw *pw_start(sipc_tls_mode data_mode, sipc_tls_mode pipe_mode, const char *pem,
             const sipc_pipeline_options *opts, const sipc_data_options *dopts)
{
    pw *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    for (int i = 0; i < PW_NODES; i++)
        start_node(w, i, data_mode, pem, dopts);

    /* the pipeline: its own context and listener, its links in the data mode */
    sipc_options o;
    pw_options(&o, "pipe", &w->plog);
    w->psec = tu_security(pipe_mode, pem);
    w->lsec = tu_security(data_mode, pem);
    assert_int_equal(sipc_ctx_new(&w->pctx, &w->loop, &o, w->psec), 0);
    sipc_pipeline_options po;
    if (opts)
        po = *opts;
    else
        sipc_pipeline_options_init(&po);
    sipc_pipeline_dest dests[PW_NODES];
    for (int i = 0; i < PW_NODES; i++) {
        dests[i].name = NULL; /* "127.0.0.1:PORT" */
        dests[i].host = "127.0.0.1";
        dests[i].port = w->n[i].port;
    }
    po.dests = dests;
    po.ndests = PW_NODES;
    po.link_security = w->lsec;
    sipc_options lo;
    pw_options(&lo, "pipe-links", &w->plog);
    po.link_options = &lo;
    char err[512] = "";
    int rc = sipc_pipeline_open(&w->p, w->pctx, &po, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "sipc_pipeline_open: %s\n", err);
    assert_int_equal(rc, 0);
    for (int i = 0; i < PW_NODES; i++)
        assert_string_equal(sipc_pipeline_dest_name(w->p, (size_t)i), w->n[i].name);
    assert_int_equal(sipc_router_new(&w->prouter), 0);
    assert_int_equal(sipc_pipeline_register(w->p, w->prouter), 0);
    assert_int_equal(
        sipc_server_listen(&w->psrv, w->pctx, "Pipeline", "127.0.0.1", 0, w->prouter), 0);
    w->pport = sipc_server_port(w->psrv);

    /* the producer, which also looks into the data services; a client of
     * both, it uses the pipeline's mode toward the pipeline and the data
     * mode toward the data (one context per security) */
    pw_options(&o, "producer", &w->clog);
    w->csec = tu_security(pipe_mode, pem);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->csec), 0);
    assert_int_equal(sipc_channel_open(&w->ch, w->cctx, "127.0.0.1", w->pport, NULL), 0);
    for (int i = 0; i < PW_NODES; i++)
        assert_int_equal(
            sipc_channel_open(&w->dch[i], w->n[i].ctx, "127.0.0.1", w->n[i].port, NULL), 0);
    return w;
}

static void on_flag(void *arg)
{
    *(int *)arg = 1;
}

static void on_server_closed(sipc_server *srv, void *arg)
{
    (void)srv;
    *(int *)arg = 1;
}

void pw_stop(pw *w)
{
    sipc_ctx_close(w->cctx, NULL, NULL);
    /* servers first, so no handler runs once its service is gone */
    sipc_ctx_close(w->pctx, NULL, NULL);
    if (w->p) {
        int closed = 0;
        sipc_pipeline_close(w->p, on_flag, &closed);
        assert_true(tu_run_until(&w->loop, &closed, 10000));
        w->p = NULL;
    }
    for (int i = 0; i < PW_NODES; i++) {
        pw_node *n = &w->n[i];
        sipc_ctx_close(n->ctx, NULL, NULL);
        int closed = 0;
        sipc_data_close(n->d, on_flag, &closed);
        assert_true(tu_run_until(&w->loop, &closed, 10000));
    }
    assert_true(tu_drain(&w->loop, 10000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->prouter);
    sipc_security_release(w->psec);
    sipc_security_release(w->lsec);
    sipc_security_release(w->csec);
    for (int i = 0; i < PW_NODES; i++) {
        pw_node *n = &w->n[i];
        sipc_router_free(n->router);
        sipc_security_release(n->sec);
        tu_log_free(&n->log);
        tu_rmdir(n->home);
        free(n->home);
    }
    tu_log_free(&w->plog);
    tu_log_free(&w->clog);
    free(w);
}

void pw_node_down(pw *w, int i)
{
    pw_node *n = &w->n[i];
    assert_non_null(n->srv);
    int closed = 0;
    sipc_server_close(n->srv, on_server_closed, &closed);
    n->srv = NULL;
    assert_true(tu_run_until(&w->loop, &closed, 5000));
}

void pw_node_up(pw *w, int i)
{
    pw_node *n = &w->n[i];
    assert_null(n->srv);
    int rc = sipc_server_listen(&n->srv, n->ctx, "Data Service", "127.0.0.1", n->port, n->router);
    if (rc != 0)
        fail_msg("listen again on %d: %s", n->port, sipc_strerror(rc));
}

/* ------------------------------------------------------------- records */

void pw_recs_make(pw_recs *r, const char *prefix, int from, int to)
{
    size_t n = (size_t)(to - from);
    r->n = n;
    r->t = calloc(n ? n : 1, sizeof *r->t);
    r->id = calloc(n ? n : 1, sizeof *r->id);
    r->body = calloc(n ? n : 1, sizeof *r->body);
    r->user = calloc(n ? n : 1, sizeof *r->user);
    r->p = calloc(n ? n : 1, sizeof *r->p);
    assert_true(r->t && r->id && r->body && r->user && r->p);
    for (size_t k = 0; k < n; k++) {
        int i = from + (int)k;
        snprintf(r->id[k], sizeof r->id[k], "%s-%05d", prefix, i);
        snprintf(r->body[k], sizeof r->body[k], "body of %s %d", prefix, i);
        snprintf(r->user[k], sizeof r->user[k], "u%d", i % 7);
        r->p[k] = mk(&r->t[k], r->id[k], 1700000000000LL + i, r->body[k], "user", r->user[k], NULL);
    }
}

void pw_recs_free(pw_recs *r)
{
    free(r->t);
    free(r->id);
    free(r->body);
    free(r->user);
    free(r->p);
    memset(r, 0, sizeof *r);
}

/* -------------------------------------------------------------- ingest */

static void on_ingest(int err, const sipc_reply *rep, void *arg)
{
    pw_ingest *g = arg;
    g->err = err;
    g->status = rep->status;
    snprintf(g->message, sizeof g->message, "%s", rep->message);
    if (err == 0) {
        g->resp = sipc__pipeline__ingest_response__unpack(NULL, rep->len, rep->data);
        assert_non_null(g->resp);
    }
    g->done = 1;
    if (g->count)
        (*g->count)++;
}

static void raw_start(sipc_channel *ch, const uint8_t *buf, size_t len, uint32_t timeout_ms,
                      pw_ingest *g)
{
    int *count = g->count;
    memset(g, 0, sizeof *g);
    g->count = count;
    assert_int_equal(sipc_call(ch, SIPC_PIPELINE_SERVICE, SIPC_PIPELINE_INGEST, buf, len,
                               timeout_ms, on_ingest, g),
                     0);
}

void pw_ingest_start(pw *w, Sipc__Data__Record **recs, size_t n, const char *to_node,
                     uint32_t timeout_ms, pw_ingest *g)
{
    pw_ingest_on(w->ch, recs, n, to_node, timeout_ms, g);
}

void pw_ingest_on(sipc_channel *ch, Sipc__Data__Record **recs, size_t n, const char *to_node,
                  uint32_t timeout_ms, pw_ingest *g)
{
    Sipc__Pipeline__IngestRequest m = SIPC__PIPELINE__INGEST_REQUEST__INIT;
    m.records = recs;
    m.n_records = n;
    m.to_node = (char *)(to_node ? to_node : "");
    size_t len = sipc__pipeline__ingest_request__get_packed_size(&m);
    uint8_t *buf = malloc(len ? len : 1);
    sipc__pipeline__ingest_request__pack(&m, buf);
    raw_start(ch, buf, len, timeout_ms, g);
    free(buf);
}

void pw_ingest_raw_start(pw *w, const uint8_t *buf, size_t len, uint32_t timeout_ms, pw_ingest *g)
{
    raw_start(w->ch, buf, len, timeout_ms, g);
}

void pw_ingest_wait(pw *w, Sipc__Data__Record **recs, size_t n, const char *to_node,
               uint32_t timeout_ms, pw_ingest *g)
{
    g->count = NULL;
    pw_ingest_start(w, recs, n, to_node, timeout_ms, g);
    assert_true(tu_run_until(&w->loop, &g->done, timeout_ms + 5000));
}

void pw_ingest_free(pw_ingest *g)
{
    if (g->resp)
        sipc__pipeline__ingest_response__free_unpacked(g->resp, NULL);
    g->resp = NULL;
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

int pw_wait_count(pw *w, const int *count, int n, unsigned ms)
{
    uint64_t end = uv_now(&w->loop) + ms;
    uv_timer_t tick;
    uv_timer_init(&w->loop, &tick);
    uv_timer_start(&tick, on_tick, 10, 10);
    while (*count < n && uv_now(&w->loop) < end)
        uv_run(&w->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    return *count >= n;
}

/* -------------------------------------------------------------- stored */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **pw_stored_ids(pw *w, int i, size_t *n)
{
    size_t cap = 1024, k = 0;
    char **ids = malloc(cap * sizeof *ids);
    Sipc__Data__ListCursor after = SIPC__DATA__LIST_CURSOR__INIT;
    int first = 1;
    for (;;) {
        Sipc__Data__ListRequest m = SIPC__DATA__LIST_REQUEST__INIT;
        m.limit = 1000;
        if (!first)
            m.after = &after;
        size_t len = sipc__data__list_request__get_packed_size(&m);
        uint8_t *buf = malloc(len + 1);
        sipc__data__list_request__pack(&m, buf);
        dw_result r;
        memset(&r, 0, sizeof r);
        assert_int_equal(
            sipc_call(w->dch[i], SIPC_DATA_SERVICE, "list", buf, len, 10000, dw_on_result, &r), 0);
        free(buf);
        assert_true(tu_run_until(&w->loop, &r.done, 15000));
        if (r.err != 0)
            fail_msg("list on node %d: %s: %s", i, sipc_err_name(r.err), r.message);
        Sipc__Data__ListResponse *resp = sipc__data__list_response__unpack(NULL, r.len, r.data);
        assert_non_null(resp);
        for (size_t j = 0; j < resp->n_records; j++) {
            if (k == cap)
                ids = realloc(ids, (cap *= 2) * sizeof *ids);
            const ProtobufCBinaryData *id = &resp->records[j]->id;
            ids[k] = malloc(id->len + 1);
            memcpy(ids[k], id->data, id->len);
            ids[k++][id->len] = '\0';
        }
        int more = resp->more;
        if (more) {
            free(after.id.data);
            after.timestamp_ms = resp->next->timestamp_ms;
            after.id.len = resp->next->id.len;
            after.id.data = malloc(after.id.len + 1);
            memcpy(after.id.data, resp->next->id.data, after.id.len);
        }
        sipc__data__list_response__free_unpacked(resp, NULL);
        dw_result_free(&r);
        first = 0;
        if (!more)
            break;
    }
    free(after.id.data);
    qsort(ids, k, sizeof *ids, cmp_str);
    *n = k;
    return ids;
}

void pw_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int pw_child_data_serve(const char *dir, const char *host, int (*hook)(sipc_router *r))
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return 1;
    sipc_data *d;
    char err[512];
    if (sipc_data_open(&d, &loop, dir, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "child: %s\n", err);
        return 1;
    }
    sipc_router *router;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_server *srv;
    if (sipc_router_new(&router) != 0 || sipc_data_register(d, router) != 0 ||
        sipc_security_plain(&sec) != 0 || (hook && hook(router) != 0))
        return 1;
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "child";
    o.cluster = "test";
    if (sipc_ctx_new(&ctx, &loop, &o, sec) != 0 ||
        sipc_server_listen(&srv, ctx, "Data Service", host, 0, router) != 0)
        return 1;
    printf("%d\n", sipc_server_port(srv));
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
    return 0;
}

pid_t pw_child_data(const char *dir, const char *host, int *port)
{
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(len > 0);
    self[len] = '\0';
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion must not leave it */
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(self, self, "--serve-data", dir, host, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[32] = "";
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t k = read(fds[0], line + n, 1);
        if (k <= 0 || line[n] == '\n')
            break;
        n++;
    }
    close(fds[0]);
    line[n] = '\0';
    *port = atoi(line);
    if (*port <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the child did not start its data service");
    }
    return pid;
}
