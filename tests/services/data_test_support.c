/* data_test_support.c - see data_test_support.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data_store.h"
#include "data_test_support.h"

ProtobufCBinaryData bin(const char *s)
{
    ProtobufCBinaryData b = {strlen(s), (uint8_t *)s};
    return b;
}

Sipc__Data__Record *mk(trec *t, const char *id, int64_t ts, const char *body, ...)
{
    memset(t, 0, sizeof *t);
    sipc__data__record__init(&t->r);
    t->r.id = bin(id);
    t->r.timestamp_ms = ts;
    t->r.body = bin(body);
    va_list ap;
    va_start(ap, body);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        size_t i = t->r.n_attributes++;
        assert_true(i < 8);
        sipc__data__attribute__init(&t->a[i]);
        t->a[i].key = bin(k);
        t->a[i].value = bin(va_arg(ap, const char *));
        t->ap[i] = &t->a[i];
    }
    va_end(ap);
    t->r.attributes = t->ap;
    return &t->r;
}

const char *dw_host = "127.0.0.1";

void dw_server(dw *w, sipc_tls_mode mode, const char *pem, const sipc_data_options *opts)
{
    w->home = tu_mkdtemp("dataservice");
    assert_non_null(w->home);
    snprintf(w->dir, sizeof w->dir, "%s/data", w->home);
    char err[512] = "";
    int rc = sipc_data_open(&w->d, &w->loop, w->dir, opts, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "sipc_data_open: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(sipc_router_new(&w->router), 0);
    assert_int_equal(sipc_data_register(w->d, w->router), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "data-srv";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->slog;
    w->ssec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_new(&w->sctx, &w->loop, &o, w->ssec), 0);
    assert_int_equal(
        sipc_server_listen(&w->srv, w->sctx, "Data Service", dw_host, 0, w->router), 0);
    w->port = sipc_server_port(w->srv);
}

void dw_client(dw *w, sipc_tls_mode mode, const char *pem)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "data-cli";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->clog;
    o.reconnect_min_ms = 20;
    o.reconnect_max_ms = 200;
    w->csec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->csec), 0);
    assert_int_equal(sipc_channel_open(&w->ch, w->cctx, dw_host, w->port, NULL), 0);
}

void dw_data_close(uv_loop_t *loop, sipc_data *d)
{
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(loop, &closed, 5000));
    assert_true(tu_drain(loop, 2000));
    assert_int_equal(uv_loop_close(loop), 0);
}

void dw_make_db(const char *path)
{
    char err[512];
    data_store *s = NULL;
    int rc = data_store_open(&s, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", path, err);
    data_store_close(s);
}

void dw_not_a_db(const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 8192; i++)
        fputc('A', fp);
    fclose(fp);
}

void dw_set_flag(void *arg)
{
    *(int *)arg = 1;
}

void dw_short_waits(sipc_data_options *o)
{
    o->watch_ms = DW_WATCH_MS;
    o->settle_ms = DW_SETTLE_MS;
    o->retry_ms = DW_RETRY_MS;
    o->probe_ms = DW_PROBE_MS;
}

void dw_test_options(sipc_data_options *o, tu_log *log)
{
    sipc_data_options_init(o);
    o->retry_open = 1;
    dw_short_waits(o);
    if (log) {
        o->log = tu_log_sink;
        o->log_arg = log;
    }
}

dw *dw_world(const char *host, const sipc_data_options *o)
{
    dw_host = host;
    dw *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    dw_server(w, SIPC_TLS_OFF, NULL, o);
    dw_client(w, SIPC_TLS_OFF, NULL);
    return w;
}

dw *dw_logged_world(const char *host, tu_log *log)
{
    sipc_data_options o;
    dw_test_options(&o, log);
    return dw_world(host, &o);
}

void dw_world_end(dw *w, tu_log *log)
{
    dw_close(w);
    if (log)
        tu_log_free(log);
    dw_free(w);
    dw_host = "127.0.0.1";
}

void dw_close(dw *w)
{
    if (w->cctx)
        sipc_ctx_close(w->cctx, NULL, NULL);
    /* the servers first, so no handler runs once the service is gone */
    if (w->sctx)
        sipc_ctx_close(w->sctx, NULL, NULL);
    if (w->d) {
        int closed = 0;
        sipc_data_close(w->d, dw_set_flag, &closed);
        assert_true(tu_run_until(&w->loop, &closed, 10000));
    }
    assert_true(tu_drain(&w->loop, 10000));
    w->cctx = w->sctx = NULL;
    w->d = NULL;
    sipc_router_free(w->router);
    w->router = NULL;
    if (w->ssec)
        sipc_security_release(w->ssec);
    if (w->csec)
        sipc_security_release(w->csec);
    w->ssec = w->csec = NULL;
}

void dw_free(dw *w)
{
    assert_int_equal(uv_loop_close(&w->loop), 0);
    tu_log_free(&w->slog);
    tu_log_free(&w->clog);
    tu_rmdir(w->home);
    free(w->home);
    free(w);
}

void dw_on_result(int err, const sipc_reply *rep, void *arg)
{
    dw_result *r = arg;
    r->done = 1;
    r->err = err;
    r->status = rep->status;
    snprintf(r->message, sizeof r->message, "%s", rep->message);
    r->data = malloc(rep->len + 1);
    if (rep->len)
        memcpy(r->data, rep->data, rep->len);
    r->len = rep->len;
}

void dw_call_raw(dw *w, const char *method, const void *p, size_t len, dw_result *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_call(w->ch, SIPC_DATA_SERVICE, method, p, len, 10000, dw_on_result, r),
                     0);
    assert_true(tu_run_until(&w->loop, &r->done, 15000));
}

void dw_call(dw *w, const char *method, const ProtobufCMessage *m, dw_result *r)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(m, buf);
    dw_call_raw(w, method, buf, n, r);
    free(buf);
}

Sipc__Data__PutBatchRequest dw_dense_batch(void)
{
    enum { N = 1000, A = 64 };
    static Sipc__Data__Record rec[N];
    static Sipc__Data__Record *rp[N];
    static char ids[N][8];
    static Sipc__Data__Attribute at[A];
    static Sipc__Data__Attribute *ap[A];
    for (int k = 0; k < A; k++) {
        sipc__data__attribute__init(&at[k]);
        at[k].key = bin("k");
        ap[k] = &at[k];
    }
    for (int i = 0; i < N; i++) {
        sipc__data__record__init(&rec[i]);
        snprintf(ids[i], sizeof ids[i], "r%d", i);
        rec[i].id = bin(ids[i]);
        rec[i].n_attributes = A;
        rec[i].attributes = ap;
        rp[i] = &rec[i];
    }
    Sipc__Data__PutBatchRequest b = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
    b.records = rp;
    b.n_records = N;
    return b;
}

uint8_t *dw_flood(const char *id, uint8_t key, size_t n, size_t *len)
{
    size_t idlen = id ? strlen(id) : 0;
    size_t inner = id ? 2 + idlen + 2 * n : 2 * n;
    uint8_t *b = malloc(inner + 16);
    assert_non_null(b);
    size_t o = 0;
    if (id) {
        b[o++] = 0x0a; /* field 1, length-delimited: the record */
        for (size_t v = inner; ; v >>= 7) {
            b[o++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
            if (v < 0x80)
                break;
        }
        assert_true(idlen < 0x80);
        b[o++] = 0x0a; /* the record's id */
        b[o++] = (uint8_t)idlen;
        memcpy(b + o, id, idlen);
        o += idlen;
    }
    for (size_t i = 0; i < n; i++) {
        b[o++] = key;
        b[o++] = 0;
    }
    *len = o;
    return b;
}

void dw_result_free(dw_result *r)
{
    free(r->data);
    r->data = NULL;
}

int64_t dw_count(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

int dw_put(dw *w, const char *id, char *msg, size_t len)
{
    return dw_put_body(w, id, "body", msg, len);
}

int dw_put_body(dw *w, const char *id, const char *body, char *msg, size_t len)
{
    trec tr;
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    m.record = mk(&tr, id, 5, body, NULL);
    dw_result r;
    dw_call(w, "put", &m.base, &r);
    int st = r.err == 0 ? 0 : r.status ? r.status : r.err;
    snprintf(msg, len, "%s", r.message);
    dw_result_free(&r);
    return st;
}

sipc_ctx *dw_ctx_beside(dw *w, const char *node_id, sipc_security **sec)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = node_id;
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->slog;
    *sec = tu_security(SIPC_TLS_OFF, NULL);
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, &w->loop, &o, *sec), 0);
    return ctx;
}

uint64_t dw_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

void dw_on_search(int err, const char *message, const sipc_data_hit *hits, size_t n, int more,
                  void *arg)
{
    (void)hits;
    (void)more;
    dw_sres *r = arg;
    r->done++;
    r->err = err;
    r->nhits = n;
    r->at_ms = dw_now_ms();
    snprintf(r->message, sizeof r->message, "%s", message);
}

dw *dw_words_world(const char *host, sipc_data_options *o, int nrecords)
{
    o->sync = SIPC_DATA_SYNC_NORMAL;
    dw *w = dw_world(host, o);
    enum { BATCH = 1000, WORDS = 40, VOCAB = 5000 };
    static char bodies[BATCH][WORDS * 6 + 1];
    static char ids[BATCH][16];
    static trec t[BATCH];
    static Sipc__Data__Record *recs[BATCH];
    unsigned seed = 1;
    for (int b = 0; b < nrecords / BATCH; b++) {
        for (int i = 0; i < BATCH; i++) {
            char *p = bodies[i];
            for (int k = 0; k < WORDS; k++) {
                seed = seed * 1103515245u + 12345u;
                p += sprintf(p, "%sw%04u", k ? " " : "", (seed >> 8) % VOCAB);
            }
            snprintf(ids[i], sizeof ids[i], "r%d", b * BATCH + i);
            /* attributes: a hit with content reads them in steps of their own */
            recs[i] = mk(&t[i], ids[i], 1000 + b * BATCH + i, bodies[i], "k", "v", "tag", "x",
                         NULL);
        }
        Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
        m.records = recs;
        m.n_records = BATCH;
        dw_result r;
        dw_call(w, "put_batch", &m.base, &r);
        assert_int_equal(r.err, 0);
        dw_result_free(&r);
    }
    return w;
}
