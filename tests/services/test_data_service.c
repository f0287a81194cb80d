/* test_data_service.c - the data service behind a real sipc server, called
 * by a real client over 127.0.0.1, once in plaintext and once over TLS:
 * every method, every bad-input answer, concurrent puts, and closing with
 * requests in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data_store.h"
#include "data_test_support.h"
#include "pb_budget.h"

static sipc_tls_mode g_mode;
static char g_pem[512];

static dw *world(const sipc_data_options *o)
{
    dw *w = calloc(1, sizeof *w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    dw_server(w, g_mode, g_pem, o);
    dw_client(w, g_mode, g_pem);
    return w;
}

static void done(dw *w)
{
    dw_close(w);
    dw_free(w);
}

/* Asserts r is an application error with status and a message holding needle. */
static void expect_status(dw_result *r, int status, const char *needle)
{
    if (r->err != SIPC_EREMOTE || r->status != status || !strstr(r->message, needle))
        fail_msg("expected %s '%s', got err %s status %d (%s) '%s'",
                 sipc_data_status_name(status), needle, sipc_err_name(r->err), r->status,
                 sipc_data_status_name(r->status), r->message);
    dw_result_free(r);
}

static Sipc__Data__PutResult put(dw *w, Sipc__Data__Record *rec)
{
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    m.record = rec;
    dw_result r;
    dw_call(w, "put", &m.base, &r);
    if (r.err != 0)
        fail_msg("put: %s status %d: %s", sipc_err_name(r.err), r.status, r.message);
    Sipc__Data__PutResponse *resp = sipc__data__put_response__unpack(NULL, r.len, r.data);
    assert_non_null(resp);
    Sipc__Data__PutResult res = resp->result;
    sipc__data__put_response__free_unpacked(resp, NULL);
    dw_result_free(&r);
    return res;
}

/* The record with id, or NULL for NOT_FOUND (free with free_unpacked). */
static Sipc__Data__GetResponse *get(dw *w, const char *id)
{
    Sipc__Data__GetRequest m = SIPC__DATA__GET_REQUEST__INIT;
    m.id = bin(id);
    dw_result r;
    dw_call(w, "get", &m.base, &r);
    if (r.err == SIPC_EREMOTE && r.status == SIPC_DATA_NOT_FOUND) {
        assert_non_null(strstr(r.message, id));
        dw_result_free(&r);
        return NULL;
    }
    assert_int_equal(r.err, 0);
    Sipc__Data__GetResponse *resp = sipc__data__get_response__unpack(NULL, r.len, r.data);
    assert_non_null(resp);
    assert_non_null(resp->record);
    dw_result_free(&r);
    return resp;
}

static void put_batch(dw *w, Sipc__Data__Record **recs, size_t n, dw_result *r)
{
    Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
    m.records = recs;
    m.n_records = n;
    dw_call(w, "put_batch", &m.base, r);
}

/* ------------------------------------------------------------ tests */

static void t_put_get(void **state)
{
    (void)state;
    dw *w = world(NULL);
    trec t;
    assert_int_equal(put(w, mk(&t, "sess-1", 1700000000000, "<html>cart</html>", "browser",
                               "firefox", "page", "/cart", NULL)),
                     SIPC__DATA__PUT_RESULT__CREATED);
    Sipc__Data__GetResponse *g = get(w, "sess-1");
    assert_non_null(g);
    assert_int_equal(g->record->timestamp_ms, 1700000000000);
    assert_int_equal(g->record->body.len, 17);
    assert_memory_equal(g->record->body.data, "<html>cart</html>", 17);
    assert_int_equal(g->record->n_attributes, 2);
    assert_memory_equal(g->record->attributes[1]->value.data, "/cart", 5);
    sipc__data__get_response__free_unpacked(g, NULL);
    /* a re-send is acknowledged without a duplicate; new content replaces */
    assert_int_equal(put(w, mk(&t, "sess-1", 1700000000000, "<html>cart</html>", "browser",
                               "firefox", "page", "/cart", NULL)),
                     SIPC__DATA__PUT_RESULT__UNCHANGED);
    assert_int_equal(put(w, mk(&t, "sess-1", 1700000000000, "<html>paid</html>", NULL)),
                     SIPC__DATA__PUT_RESULT__REPLACED);
    g = get(w, "sess-1");
    assert_int_equal(g->record->n_attributes, 0);
    assert_memory_equal(g->record->body.data, "<html>paid</html>", 17);
    sipc__data__get_response__free_unpacked(g, NULL);
    assert_null(get(w, "sess-2"));
    /* a body of exactly the maximum is fine */
    size_t big = 1u << 20;
    char *body = malloc(big + 1);
    memset(body, 'b', big);
    body[big] = '\0';
    assert_int_equal(put(w, mk(&t, "big", 1, body, NULL)), SIPC__DATA__PUT_RESULT__CREATED);
    free(body);
    g = get(w, "big");
    assert_int_equal(g->record->body.len, big);
    sipc__data__get_response__free_unpacked(g, NULL);
    done(w);
}

static void t_put_batch(void **state)
{
    (void)state;
    sipc_data_options o;
    sipc_data_options_init(&o);
    o.max_batch = 60;
    dw *w = world(&o);
    enum { N = 50 };
    trec t[N + 11];
    Sipc__Data__Record *recs[N + 11];
    char ids[N + 11][16];
    for (int i = 0; i < N + 11; i++) {
        snprintf(ids[i], sizeof ids[i], "b-%03d", i);
        recs[i] = mk(&t[i], ids[i], 1000 + i, "batch body", "n", ids[i], NULL);
    }
    dw_result r;
    put_batch(w, recs, N, &r);
    assert_int_equal(r.err, 0);
    Sipc__Data__PutBatchResponse *b = sipc__data__put_batch_response__unpack(NULL, r.len, r.data);
    assert_non_null(b);
    assert_int_equal(b->created, N);
    assert_int_equal(b->unchanged, 0);
    sipc__data__put_batch_response__free_unpacked(b, NULL);
    dw_result_free(&r);
    /* the whole batch again, one record changed */
    recs[3] = mk(&t[3], ids[3], 1003, "changed", NULL);
    put_batch(w, recs, N, &r);
    assert_int_equal(r.err, 0);
    b = sipc__data__put_batch_response__unpack(NULL, r.len, r.data);
    assert_int_equal(b->created, 0);
    assert_int_equal(b->unchanged, N - 1);
    assert_int_equal(b->replaced, 1);
    sipc__data__put_batch_response__free_unpacked(b, NULL);
    dw_result_free(&r);

    /* one bad record: nothing of the batch is stored */
    recs[N + 5] = mk(&t[N + 5], "", 5, "no id", NULL);
    put_batch(w, recs + N, 10, &r);
    expect_status(&r, SIPC_DATA_INVALID, "record 5: id is empty (nothing of the batch was stored)");
    assert_null(get(w, ids[N]));
    put_batch(w, recs, 0, &r);
    expect_status(&r, SIPC_DATA_INVALID, "batch has no records");
    recs[N + 5] = mk(&t[N + 5], ids[N + 5], 5, "ok", NULL);
    put_batch(w, recs, N + 11, &r);
    expect_status(&r, SIPC_DATA_TOO_LARGE, "batch of 61 records exceeds the maximum of 60");
    assert_null(get(w, ids[N]));
    done(w);
}

static void t_delete(void **state)
{
    (void)state;
    dw *w = world(NULL);
    trec t;
    put(w, mk(&t, "gone", 1, "x", NULL));
    for (int i = 0; i < 2; i++) {
        Sipc__Data__DeleteRequest m = SIPC__DATA__DELETE_REQUEST__INIT;
        m.id = bin("gone");
        dw_result r;
        dw_call(w, "delete", &m.base, &r);
        assert_int_equal(r.err, 0);
        Sipc__Data__DeleteResponse *d = sipc__data__delete_response__unpack(NULL, r.len, r.data);
        assert_non_null(d);
        assert_int_equal(d->deleted, i == 0); /* the second delete finds nothing */
        sipc__data__delete_response__free_unpacked(d, NULL);
        dw_result_free(&r);
    }
    assert_null(get(w, "gone"));
    done(w);
}

static Sipc__Data__ListResponse *list(dw *w, Sipc__Data__ListRequest *m)
{
    dw_result r;
    dw_call(w, "list", &m->base, &r);
    if (r.err != 0)
        fail_msg("list: %s %d %s", sipc_err_name(r.err), r.status, r.message);
    Sipc__Data__ListResponse *l = sipc__data__list_response__unpack(NULL, r.len, r.data);
    assert_non_null(l);
    dw_result_free(&r);
    return l;
}

static void t_list(void **state)
{
    (void)state;
    dw *w = world(NULL);
    enum { N = 30 };
    trec t[N];
    Sipc__Data__Record *recs[N];
    char ids[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "l-%02d", i);
        recs[i] = mk(&t[i], ids[i], 5000 + (i % 10) * 10, "listed", NULL);
    }
    dw_result r;
    put_batch(w, recs, N, &r);
    assert_int_equal(r.err, 0);
    dw_result_free(&r);

    /* pages of 7 until more is false, following next */
    Sipc__Data__ListRequest m = SIPC__DATA__LIST_REQUEST__INIT;
    Sipc__Data__ListCursor cur = SIPC__DATA__LIST_CURSOR__INIT;
    uint8_t curid[16];
    m.limit = 7;
    m.include_body = 1;
    int seen = 0, pages = 0;
    for (;;) {
        Sipc__Data__ListResponse *l = list(w, &m);
        pages++;
        seen += (int)l->n_records;
        assert_true(l->n_records <= 7);
        for (size_t i = 0; i < l->n_records; i++)
            assert_int_equal(l->records[i]->body.len, 6);
        int more = l->more;
        if (more) {
            assert_non_null(l->next);
            cur.timestamp_ms = l->next->timestamp_ms;
            memcpy(curid, l->next->id.data, l->next->id.len);
            cur.id.data = curid;
            cur.id.len = l->next->id.len;
            m.after = &cur;
        }
        sipc__data__list_response__free_unpacked(l, NULL);
        if (!more)
            break;
    }
    assert_int_equal(seen, N);
    assert_int_equal(pages, 5);

    /* a range [5020, 5040) holds 2 timestamps x 3 records, without bodies */
    Sipc__Data__ListRequest rq = SIPC__DATA__LIST_REQUEST__INIT;
    rq.from_ms = 5020;
    rq.to_ms = 5040;
    Sipc__Data__ListResponse *l = list(w, &rq);
    assert_int_equal(l->n_records, 6);
    assert_int_equal(l->more, 0);
    assert_int_equal(l->records[0]->timestamp_ms, 5020);
    assert_int_equal(l->records[0]->body.len, 0);
    sipc__data__list_response__free_unpacked(l, NULL);

    /* bad ranges and limits */
    rq.to_ms = 5020;
    dw_call(w, "list", &rq.base, &r);
    expect_status(&r, SIPC_DATA_INVALID, "to_ms 5020 is not after from_ms 5020");
    rq.from_ms = -5;
    rq.to_ms = 0;
    dw_call(w, "list", &rq.base, &r);
    expect_status(&r, SIPC_DATA_INVALID, "from_ms -5 is outside");
    rq.from_ms = 0;
    rq.limit = 1001;
    dw_call(w, "list", &rq.base, &r);
    expect_status(&r, SIPC_DATA_TOO_LARGE, "limit 1001 exceeds the maximum of 1000");
    rq.limit = 0;
    cur.id = bin("bad\xff");
    rq.after = &cur;
    dw_call(w, "list", &rq.base, &r);
    expect_status(&r, SIPC_DATA_INVALID, "after: id is not valid UTF-8");
    done(w);
}

static void t_bad_input(void **state)
{
    (void)state;
    sipc_data_options o;
    sipc_data_options_init(&o);
    o.max_body = 1000;
    o.max_attributes = 3;
    dw *w = world(&o);
    dw_result r;
    /* not protobuf at all: a field of wire type 7 */
    static const uint8_t junk[] = {0x0f, 0xff, 0xff, 0xff};
    static const char *const methods[] = {"put", "put_batch", "get", "delete", "list"};
    static const char *const types[] = {"PutRequest", "PutBatchRequest", "GetRequest",
                                        "DeleteRequest", "ListRequest"};
    for (int i = 0; i < 5; i++) {
        dw_call_raw(w, methods[i], junk, sizeof junk, &r);
        expect_status(&r, SIPC_DATA_BAD_REQUEST, types[i]);
    }
    /* a length running past the end */
    static const uint8_t cut[] = {0x0a, 0x40, 0x0a, 0x02, 'i'};
    dw_call_raw(w, "put", cut, sizeof cut, &r);
    expect_status(&r, SIPC_DATA_BAD_REQUEST, "PutRequest");
    /* empty payloads: the required parts are missing */
    dw_call_raw(w, "put", NULL, 0, &r);
    expect_status(&r, SIPC_DATA_INVALID, "record is missing");
    dw_call_raw(w, "get", NULL, 0, &r);
    expect_status(&r, SIPC_DATA_INVALID, "id is empty");
    dw_call_raw(w, "delete", NULL, 0, &r);
    expect_status(&r, SIPC_DATA_INVALID, "id is empty");

    trec t;
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    struct {
        Sipc__Data__Record *rec;
        int status;
        const char *msg;
    } cases[] = {
        {mk(&t, "", 1, "x", NULL), SIPC_DATA_INVALID, "id is empty"},
        {NULL, SIPC_DATA_INVALID, "id is not valid UTF-8"},
        {NULL, SIPC_DATA_INVALID, "id is not valid UTF-8"},
        {NULL, SIPC_DATA_INVALID, "timestamp_ms -1 is outside"},
        {NULL, SIPC_DATA_TOO_LARGE, "body of 1001 bytes exceeds the maximum of 1000"},
        {NULL, SIPC_DATA_TOO_LARGE, "4 attributes exceed the maximum of 3"},
        {NULL, SIPC_DATA_INVALID, "attribute 0: key is empty"},
        {NULL, SIPC_DATA_INVALID, "attribute 1: value is not valid UTF-8"},
        {NULL, SIPC_DATA_TOO_LARGE, "attribute 0: key of 129 bytes"},
        {NULL, SIPC_DATA_TOO_LARGE, "id of 257 bytes"},
    };
    char body[1002], longkey[130], longid[258];
    memset(body, 'x', 1001);
    body[1001] = '\0';
    memset(longkey, 'k', 129);
    longkey[129] = '\0';
    memset(longid, 'i', 257);
    longid[257] = '\0';
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        switch (i) {
        case 1:
            mk(&t, "bad\xc3", 1, "", NULL);
            break;
        case 2: /* a NUL inside the id: protobuf-c would cut a string field there */
            mk(&t, "a", 1, "", NULL);
            t.r.id.data = (uint8_t *)"a\0b";
            t.r.id.len = 3;
            break;
        case 3:
            mk(&t, "ts", -1, "", NULL);
            break;
        case 4:
            mk(&t, "body", 1, body, NULL);
            break;
        case 5:
            mk(&t, "attrs", 1, "", "a", "1", "b", "2", "c", "3", "d", "4", NULL);
            break;
        case 6:
            mk(&t, "nokey", 1, "", "", "v", NULL);
            break;
        case 7:
            mk(&t, "badval", 1, "", "ok", "fine", "k", "\xed\xa0\x80", NULL);
            break;
        case 8:
            mk(&t, "longkey", 1, "", longkey, "v", NULL);
            break;
        case 9:
            mk(&t, longid, 1, "", NULL);
            break;
        }
        m.record = cases[i].rec ? cases[i].rec : &t.r;
        dw_call(w, "put", &m.base, &r);
        expect_status(&r, cases[i].status, cases[i].msg);
    }
    Sipc__Data__GetRequest g = SIPC__DATA__GET_REQUEST__INIT;
    g.id = bin("\xff\xfe");
    dw_call(w, "get", &g.base, &r);
    expect_status(&r, SIPC_DATA_INVALID, "id is not valid UTF-8");
    g.id = bin(longid);
    dw_call(w, "delete", &g.base, &r); /* same wire shape as DeleteRequest */
    expect_status(&r, SIPC_DATA_TOO_LARGE, "id of 257 bytes");
    /* after all that, the service still works */
    assert_int_equal(put(w, mk(&t, "fine", 1, "ok", NULL)), SIPC__DATA__PUT_RESULT__CREATED);
    done(w);
}

/* Sends n puts ("<prefix>-0000", ... with body) without waiting; their
 * outcomes arrive in rs[0..n). */
static void fire_puts(dw *w, const char *prefix, int n, const char *body, dw_result *rs)
{
    size_t cap = strlen(body) + 128;
    uint8_t *buf = malloc(cap);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%s-%04d", prefix, i);
        trec t;
        Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
        m.record = mk(&t, id, i, body, NULL);
        assert_true(sipc__data__put_request__get_packed_size(&m) <= cap);
        size_t len = sipc__data__put_request__pack(&m, buf);
        memset(&rs[i], 0, sizeof rs[i]);
        assert_int_equal(
            sipc_call(w->ch, SIPC_DATA_SERVICE, "put", buf, len, 10000, dw_on_result, &rs[i]), 0);
    }
    free(buf);
}

/* A put or a batch that would decode to many times its bytes (a record of a
 * million empty attributes; a million unknown fields) is TOO_LARGE naming
 * its budget, having held no more than that budget while decoding; the
 * densest batch the limits allow (1000 records of 64 one-letter attributes)
 * is stored. */
static void t_decode_budget(void **state)
{
    (void)state;
    dw_host = "127.1.143.1";
    sipc_data_options o;
    sipc_data_options_init(&o);
    dw *w = world(&o);
    dw_result r;
    size_t len;
    uint8_t *buf = dw_flood("a", 0x1a, 1000000, &len);
    sipc_pb_unpack_peak(1);
    dw_call_raw(w, "put", buf, len, &r);
    expect_status(&r, SIPC_DATA_TOO_LARGE, "decodes to more than its budget");
    assert_true(sipc_pb_unpack_peak(0) <= sipc_pb_budget(len, 1 + o.max_attributes));
    free(buf);
    buf = dw_flood("a", 0x78, 1000000, &len);
    sipc_pb_unpack_peak(1);
    dw_call_raw(w, "put_batch", buf, len, &r);
    expect_status(&r, SIPC_DATA_TOO_LARGE, "decodes to more than its budget");
    assert_true(sipc_pb_unpack_peak(0) <=
                sipc_pb_budget(len, o.max_batch * (1 + o.max_attributes)));
    free(buf);
    Sipc__Data__PutBatchRequest b = dw_dense_batch();
    dw_call(w, "put_batch", &b.base, &r);
    if (r.err != 0)
        fail_msg("dense batch: %s: %s", sipc_err_name(r.err), r.message);
    Sipc__Data__PutBatchResponse *res =
        sipc__data__put_batch_response__unpack(NULL, r.len, r.data);
    assert_non_null(res);
    assert_int_equal(res->created, b.n_records);
    sipc__data__put_batch_response__free_unpacked(res, NULL);
    dw_result_free(&r);
    done(w);
    dw_host = "127.0.0.1";
}

/* Many puts in flight at once: every one is acknowledged and stored. */
static void t_concurrent_puts(void **state)
{
    (void)state;
    dw *w = world(NULL);
    enum { N = 300 };
    static dw_result rs[N];
    fire_puts(w, "c", N, "concurrent", rs);
    for (int i = 0; i < N; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 15000));
        assert_int_equal(rs[i].err, 0);
        dw_result_free(&rs[i]);
    }
    Sipc__Data__ListRequest m = SIPC__DATA__LIST_REQUEST__INIT;
    m.limit = 1000;
    Sipc__Data__ListResponse *l = list(w, &m);
    assert_int_equal(l->n_records, N);
    sipc__data__list_response__free_unpacked(l, NULL);
    done(w);
}

/* A full write queue answers BUSY instead of growing. */
static void t_busy(void **state)
{
    (void)state;
    sipc_data_options o;
    sipc_data_options_init(&o);
    o.max_queue = 4096;
    dw *w = world(&o);
    enum { N = 200 };
    static dw_result rs[N];
    static char body[2000];
    memset(body, 'q', sizeof body - 1);
    fire_puts(w, "q", N, body, rs);
    int ok = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 15000));
        if (rs[i].err == 0) {
            ok++;
        } else {
            assert_int_equal(rs[i].err, SIPC_EREMOTE);
            assert_int_equal(rs[i].status, SIPC_DATA_BUSY);
            busy++;
        }
        dw_result_free(&rs[i]);
    }
    assert_true(ok > 0);
    assert_true(busy > 0);
    /* BUSY stored nothing: exactly the acknowledged ones are there */
    Sipc__Data__ListRequest m = SIPC__DATA__LIST_REQUEST__INIT;
    m.limit = 1000;
    Sipc__Data__ListResponse *l = list(w, &m);
    assert_int_equal((int)l->n_records, ok);
    sipc__data__list_response__free_unpacked(l, NULL);
    done(w);
}

static void on_flag(void *arg)
{
    *(int *)arg = 1;
}

/* Closing with puts in flight: the server closes, the service drains what it
 * accepted, every acknowledged put is in the database afterwards. */
static void t_close_in_flight(void **state)
{
    (void)state;
    dw *w = world(NULL);
    enum { N = 100 };
    static dw_result rs[N];
    fire_puts(w, "f", N, "in flight", rs);
    assert_true(tu_run_until(&w->loop, &rs[0].done, 10000));
    sipc_server_close(w->srv, NULL, NULL);
    int closed = 0;
    sipc_data_close(w->d, on_flag, &closed);
    w->d = NULL;
    assert_true(tu_run_until(&w->loop, &closed, 10000));
    int acked = 0;
    for (int i = 0; i < N; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 10000));
        acked += rs[i].err == 0;
    }
    assert_true(acked >= 1);
    dw_close(w);
    /* every acknowledged put is in the database */
    char path[700], err[512];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    data_store *st;
    assert_int_equal(data_store_open(&st, path, DATA_STORE_READER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     0);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "f-%04d", i);
        ProtobufCBinaryData b = bin(id);
        Sipc__Data__Record *rec = NULL;
        assert_int_equal(data_store_get(st, &b, &rec, err, sizeof err), 0);
        if (rs[i].err == 0)
            assert_non_null(rec);
        data_store_record_free(rec);
        dw_result_free(&rs[i]);
    }
    data_store_close(st);
    dw_free(w);
}

static int setup_plain(void **state)
{
    (void)state;
    g_mode = SIPC_TLS_OFF;
    return 0;
}

static int setup_tls(void **state)
{
    (void)state;
    g_mode = SIPC_TLS_STRICT;
    return 0;
}

int main(void)
{
    char *certs = tu_mkdtemp("datacerts");
    if (!certs || tu_make_pair(certs, "node", "ec", 30, NULL, "sipc data test") != 0) {
        fprintf(stderr, "cannot generate a test certificate with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", certs);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_put_get),        cmocka_unit_test(t_put_batch),
        cmocka_unit_test(t_delete),         cmocka_unit_test(t_list),
        cmocka_unit_test(t_bad_input),      cmocka_unit_test(t_decode_budget),
        cmocka_unit_test(t_concurrent_puts),
        cmocka_unit_test(t_busy),           cmocka_unit_test(t_close_in_flight),
    };
    int fails = 0;
    fails += cmocka_run_group_tests_name("data service over plaintext", tests, setup_plain, NULL);
    fails += cmocka_run_group_tests_name("data service over TLS", tests, setup_tls, NULL);
    tu_rmdir(certs);
    free(certs);
    return fails ? 1 : 0;
}
