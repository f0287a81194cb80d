/* test_data_store.c - the data service's storage and checks without a
 * network: UTF-8 and record validation, put/get/delete/list on a real SQLite
 * database, idempotent and replacing puts, savepoint groups (batch
 * atomicity), pagination, the FTS5 index kept in step, search with attribute
 * filters and time ranges, and sipc_data_search on a loop. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <dirent.h>
#include <linux/magic.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data_store.h"
#include "data_test_support.h"
#include "data_service_impl.h"
#include "data_validate.h"
#include "lanes.h"

/* ------------------------------------------------------------ helpers */

typedef struct fixture {
    char *dir;
    char path[600];
    data_store *w;
    sipc_data_options o;
} fixture;

/* The fakes' switches and counters below are shared by the test (the
 * loop's thread) and the service's jobs (the pool's threads). */
#define T_GET(v) __atomic_load_n(&(v), __ATOMIC_SEQ_CST)
#define T_SET(v, x) __atomic_store_n(&(v), (x), __ATOMIC_SEQ_CST)
#define T_INC(v) __atomic_add_fetch(&(v), 1, __ATOMIC_SEQ_CST)

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("datastore");
    snprintf(f->path, sizeof f->path, "%s/records.db", f->dir);
    sipc_data_options_init(&f->o);
    char err[512] = "";
    int rc = data_store_open(&f->w, f->path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err,
                             sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    data_store_close(f->w);
    tu_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Puts records in one transaction; returns the results in res (may be NULL). */
static void put_all(data_store *s, Sipc__Data__Record **recs, size_t n, Sipc__Data__PutResult *res)
{
    char err[512] = "";
    assert_int_equal(data_store_begin(s, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++) {
        Sipc__Data__PutResult r;
        int rc = data_store_put(s, recs[i], &r, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "put: %s\n", err);
        assert_int_equal(rc, 0);
        if (res)
            res[i] = r;
    }
    assert_int_equal(data_store_commit(s, err, sizeof err), 0);
}

static void put1(data_store *s, Sipc__Data__Record *r, Sipc__Data__PutResult *res)
{
    put_all(s, &r, 1, res);
}

static Sipc__Data__Record *get(data_store *s, const char *id)
{
    char err[512];
    ProtobufCBinaryData b = bin(id);
    Sipc__Data__Record *r = NULL;
    assert_int_equal(data_store_get(s, &b, &r, err, sizeof err), 0);
    return r;
}

/* FTS5's own check that the index matches the content table. */
static void fts_consistent(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    int rc = sqlite3_exec(db, "INSERT INTO records_fts(records_fts) VALUES('integrity-check')",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "integrity-check: %s\n", sqlite3_errmsg(db));
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
}

static size_t search(data_store *s, const char *match, const sipc_data_attr *attrs, size_t nattrs,
                     int64_t from, int64_t to, size_t limit, data_hits *h)
{
    sipc_data_query q = {.match = match, .attrs = attrs, .nattrs = nattrs, .from_ms = from,
                         .to_ms = to, .limit = limit};
    char err[512] = "";
    int rc = data_store_search(s, &q, h, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "search: %s\n", err);
    assert_int_equal(rc, 0);
    return h->n;
}

/* ---------------------------------------------------------- validation */

static void t_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        int ok;
    } cases[] = {
        {"", 0, 1},
        {"plain ascii", 11, 1},
        {"caf\xc3\xa9", 5, 1},
        {"\xe2\x82\xac", 3, 1},         /* euro sign */
        {"\xf0\x9f\x98\x80", 4, 1},     /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 1},     /* U+10FFFF */
        {"a\0b", 3, 0},                 /* U+0000 */
        {"\xc0\x80", 2, 0},             /* overlong NUL */
        {"\xe0\x80\xaf", 3, 0},         /* overlong '/' */
        {"\xed\xa0\x80", 3, 0},         /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0},     /* above U+10FFFF */
        {"\xc3", 1, 0},                 /* truncated */
        {"\xe2\x82", 2, 0},             /* truncated */
        {"\x80", 1, 0},                 /* lone continuation */
        {"\xff", 1, 0},
        {"ok\xc3\x28", 4, 0},           /* bad continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (data_utf8_valid((const uint8_t *)cases[i].s, cases[i].n) != cases[i].ok)
            fail_msg("case %zu", i);
    }
}

static void t_validate_record(void **state)
{
    (void)state;
    sipc_data_options o;
    sipc_data_options_init(&o);
    o.max_body = 16;
    o.max_attributes = 2;
    o.max_key = 4;
    o.max_value = 5;
    o.max_id = 8;
    char err[256];
    trec t;
    assert_int_equal(data_validate_record(mk(&t, "id1", 1, "body", "k", "v", NULL), &o, err,
                                          sizeof err),
                     0);
    assert_int_equal(data_validate_record(NULL, &o, err, sizeof err), SIPC_EINVAL);
    assert_string_equal(err, "record is missing");
    assert_int_equal(data_validate_record(mk(&t, "", 1, "", NULL), &o, err, sizeof err),
                     SIPC_EINVAL);
    assert_string_equal(err, "id is empty");
    assert_int_equal(data_validate_record(mk(&t, "123456789", 1, "", NULL), &o, err, sizeof err),
                     SIPC_ETOOBIG);
    assert_non_null(strstr(err, "id of 9 bytes exceeds the maximum of 8"));
    assert_int_equal(data_validate_record(mk(&t, "a\xff", 1, "", NULL), &o, err, sizeof err),
                     SIPC_EINVAL);
    assert_non_null(strstr(err, "id is not valid UTF-8"));
    assert_int_equal(data_validate_record(mk(&t, "a", -1, "", NULL), &o, err, sizeof err),
                     SIPC_EINVAL);
    assert_non_null(strstr(err, "timestamp_ms -1 is outside"));
    assert_int_equal(data_validate_record(mk(&t, "a", DATA_MAX_TIMESTAMP_MS + 1, "", NULL), &o,
                                          err, sizeof err),
                     SIPC_EINVAL);
    assert_int_equal(data_validate_record(mk(&t, "a", DATA_MAX_TIMESTAMP_MS, "", NULL), &o, err,
                                          sizeof err),
                     0);
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "12345678901234567", NULL), &o, err,
                                          sizeof err),
                     SIPC_ETOOBIG);
    assert_non_null(strstr(err, "body of 17 bytes exceeds the maximum of 16"));
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "", "k", "v", "k", "v", "k", "v", NULL),
                                          &o, err, sizeof err),
                     SIPC_ETOOBIG);
    assert_non_null(strstr(err, "3 attributes exceed the maximum of 2"));
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "", "k", "v", "", "v", NULL), &o, err,
                                          sizeof err),
                     SIPC_EINVAL);
    assert_string_equal(err, "attribute 1: key is empty");
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "", "kkkkk", "v", NULL), &o, err,
                                          sizeof err),
                     SIPC_ETOOBIG);
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "", "k", "vvvvvv", NULL), &o, err,
                                          sizeof err),
                     SIPC_ETOOBIG);
    assert_non_null(strstr(err, "attribute 0: value of 6 bytes"));
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "", "k\xc0\x80", "v", NULL), &o, err,
                                          sizeof err),
                     SIPC_EINVAL);
    assert_non_null(strstr(err, "attribute 0: key is not valid UTF-8"));
    assert_int_equal(data_validate_record(mk(&t, "a", 1, "", "k", "\xed\xa0\x80", NULL), &o, err,
                                          sizeof err),
                     SIPC_EINVAL);
    assert_int_equal(data_validate_status(SIPC_ETOOBIG), SIPC_DATA_TOO_LARGE);
    assert_int_equal(data_validate_status(SIPC_EINVAL), SIPC_DATA_INVALID);
}

/* ------------------------------------------------------------- storage */

static void t_put_get_delete(void **state)
{
    fixture *f = *state;
    trec t;
    Sipc__Data__PutResult res;
    /* quotes, backslashes and control characters survive the JSON column */
    put1(f->w, mk(&t, "s-1", 1700000000123, "GET /cart", "url", "/cart?a=\"1\"\\x", "tab",
                  "a\tb\n", "empty", "", NULL),
         &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__CREATED);
    Sipc__Data__Record *r = get(f->w, "s-1");
    assert_non_null(r);
    assert_int_equal(r->id.len, 3);
    assert_memory_equal(r->id.data, "s-1", 3);
    assert_int_equal(r->timestamp_ms, 1700000000123);
    assert_int_equal(r->body.len, 9);
    assert_memory_equal(r->body.data, "GET /cart", 9);
    assert_int_equal(r->n_attributes, 3);
    assert_memory_equal(r->attributes[0]->key.data, "url", 3);
    assert_int_equal(r->attributes[0]->value.len, strlen("/cart?a=\"1\"\\x"));
    assert_memory_equal(r->attributes[0]->value.data, "/cart?a=\"1\"\\x", 13);
    assert_memory_equal(r->attributes[1]->value.data, "a\tb\n", 4);
    assert_int_equal(r->attributes[2]->value.len, 0);
    data_store_record_free(r);

    assert_null(get(f->w, "nope"));

    char err[256];
    int deleted = -1;
    ProtobufCBinaryData id = bin("s-1");
    assert_int_equal(data_store_begin(f->w, err, sizeof err), 0);
    assert_int_equal(data_store_delete(f->w, &id, &deleted, err, sizeof err), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(data_store_delete(f->w, &id, &deleted, err, sizeof err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(data_store_commit(f->w, err, sizeof err), 0);
    assert_null(get(f->w, "s-1"));
    assert_int_equal(dw_count(f->path, "SELECT count(*) FROM record_attrs"), 0);
    fts_consistent(f->path);
}

static void t_binary_body(void **state)
{
    fixture *f = *state;
    uint8_t body[4096];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 97 + 13); /* NULs and invalid UTF-8 included */
    trec t;
    mk(&t, "bin", 5, "", NULL);
    t.r.body.data = body;
    t.r.body.len = sizeof body;
    put1(f->w, &t.r, NULL);
    Sipc__Data__Record *r = get(f->w, "bin");
    assert_non_null(r);
    assert_int_equal(r->body.len, sizeof body);
    assert_memory_equal(r->body.data, body, sizeof body);
    data_store_record_free(r);
    /* an empty body (NULL pointer in protobuf-c) is stored as empty, not NULL */
    put1(f->w, mk(&t, "nobody", 6, "", NULL), NULL);
    t.r.body.data = NULL;
    r = get(f->w, "nobody");
    assert_non_null(r);
    assert_int_equal(r->body.len, 0);
    data_store_record_free(r);
    fts_consistent(f->path);
}

static void t_idempotent_and_replace(void **state)
{
    fixture *f = *state;
    trec t;
    Sipc__Data__PutResult res;
    put1(f->w, mk(&t, "dup", 10, "alpha words", "k", "v", NULL), &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__CREATED);
    /* the at-least-once re-send: identical, nothing written */
    put1(f->w, mk(&t, "dup", 10, "alpha words", "k", "v", NULL), &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__UNCHANGED);
    assert_int_equal(dw_count(f->path, "SELECT count(*) FROM records"), 1);
    /* any difference (body, timestamp, attributes) replaces */
    put1(f->w, mk(&t, "dup", 10, "bravo words", "k", "v", NULL), &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__REPLACED);
    put1(f->w, mk(&t, "dup", 11, "bravo words", "k", "v", NULL), &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__REPLACED);
    put1(f->w, mk(&t, "dup", 11, "bravo words", "k", "w", NULL), &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__REPLACED);
    put1(f->w, mk(&t, "dup", 11, "bravo words", "k", "w", NULL), &res);
    assert_int_equal(res, SIPC__DATA__PUT_RESULT__UNCHANGED);
    assert_int_equal(dw_count(f->path, "SELECT count(*) FROM records"), 1);
    assert_int_equal(dw_count(f->path, "SELECT count(*) FROM record_attrs"), 1);
    Sipc__Data__Record *r = get(f->w, "dup");
    assert_int_equal(r->timestamp_ms, 11);
    assert_memory_equal(r->body.data, "bravo", 5);
    assert_memory_equal(r->attributes[0]->value.data, "w", 1);
    data_store_record_free(r);
    /* the index follows the replacement: the old words are gone */
    data_hits h;
    assert_int_equal(search(f->w, "alpha", NULL, 0, 0, 0, 10, &h), 0);
    data_hits_free(&h);
    assert_int_equal(search(f->w, "bravo", NULL, 0, 0, 0, 10, &h), 1);
    data_hits_free(&h);
    sipc_data_attr old = {"k", "v"}, cur = {"k", "w"};
    assert_int_equal(search(f->w, NULL, &old, 1, 0, 0, 10, &h), 0);
    data_hits_free(&h);
    assert_int_equal(search(f->w, NULL, &cur, 1, 0, 0, 10, &h), 1);
    data_hits_free(&h);
    fts_consistent(f->path);
}

static void t_groups_are_atomic(void **state)
{
    fixture *f = *state;
    char err[256];
    trec a, b, c;
    Sipc__Data__PutResult res;
    assert_int_equal(data_store_begin(f->w, err, sizeof err), 0);
    /* a batch that fails half way: its group is undone */
    assert_int_equal(data_store_group_begin(f->w, err, sizeof err), 0);
    assert_int_equal(data_store_put(f->w, mk(&a, "ga", 1, "one", NULL), &res, err, sizeof err), 0);
    assert_int_equal(data_store_put(f->w, mk(&b, "gb", 2, "two", NULL), &res, err, sizeof err), 0);
    assert_int_equal(data_store_group_end(f->w, 0, err, sizeof err), 0);
    /* the next request in the same transaction is kept */
    assert_int_equal(data_store_group_begin(f->w, err, sizeof err), 0);
    assert_int_equal(data_store_put(f->w, mk(&c, "gc", 3, "three", NULL), &res, err, sizeof err),
                     0);
    assert_int_equal(data_store_group_end(f->w, 1, err, sizeof err), 0);
    assert_int_equal(data_store_commit(f->w, err, sizeof err), 0);
    assert_null(get(f->w, "ga"));
    assert_null(get(f->w, "gb"));
    Sipc__Data__Record *r = get(f->w, "gc");
    assert_non_null(r);
    data_store_record_free(r);

    /* a rolled back transaction leaves nothing */
    assert_int_equal(data_store_begin(f->w, err, sizeof err), 0);
    assert_int_equal(data_store_put(f->w, mk(&a, "gd", 4, "four", NULL), &res, err, sizeof err),
                     0);
    data_store_rollback(f->w);
    assert_null(get(f->w, "gd"));
    assert_int_equal(dw_count(f->path, "SELECT count(*) FROM records"), 1);
    fts_consistent(f->path);
}

static void t_list_pages(void **state)
{
    fixture *f = *state;
    enum { N = 25 };
    trec t[N];
    Sipc__Data__Record *recs[N];
    char ids[N][16];
    for (int i = 0; i < N; i++) {
        /* timestamps repeat (i / 3) so the id breaks ties */
        snprintf(ids[i], sizeof ids[i], "r%02d", N - 1 - i);
        recs[i] = mk(&t[i], ids[i], 1000 + i / 3, "body text", "n", ids[i], NULL);
    }
    put_all(f->w, recs, N, NULL);

    data_list_params p = {.from_ms = 0, .to_ms = 0, .limit = 10, .max_bytes = 1 << 20,
                          .include_body = 1};
    Sipc__Data__ListResponse page;
    char err[256];
    int seen = 0, pages = 0;
    int64_t last_ts = -1;
    char last_id[16] = "";
    for (;;) {
        assert_int_equal(data_store_list(f->w, &p, &page, err, sizeof err), 0);
        pages++;
        for (size_t i = 0; i < page.n_records; i++) {
            Sipc__Data__Record *r = page.records[i];
            char id[16];
            snprintf(id, sizeof id, "%.*s", (int)r->id.len, (const char *)r->id.data);
            /* strictly increasing (ts, id) */
            assert_true(r->timestamp_ms > last_ts ||
                        (r->timestamp_ms == last_ts && strcmp(id, last_id) > 0));
            last_ts = r->timestamp_ms;
            snprintf(last_id, sizeof last_id, "%s", id);
            assert_int_equal(r->body.len, 9);
            assert_int_equal(r->n_attributes, 1);
            seen++;
        }
        if (!page.more) {
            assert_null(page.next);
            data_store_list_free(&page);
            break;
        }
        assert_non_null(page.next);
        static uint8_t cur[16];
        memcpy(cur, page.next->id.data, page.next->id.len);
        p.has_after = 1;
        p.after_ts = page.next->timestamp_ms;
        p.after_id.data = cur;
        p.after_id.len = page.next->id.len;
        data_store_list_free(&page);
    }
    assert_int_equal(seen, N);
    assert_int_equal(pages, 3);

    /* a time range: [1002, 1004) holds i = 6..11 */
    data_list_params r = {.from_ms = 1002, .to_ms = 1004, .limit = 100, .max_bytes = 1 << 20};
    assert_int_equal(data_store_list(f->w, &r, &page, err, sizeof err), 0);
    assert_int_equal(page.n_records, 6);
    assert_int_equal(page.more, 0);
    assert_int_equal(page.records[0]->timestamp_ms, 1002);
    assert_int_equal(page.records[0]->body.len, 0); /* include_body off */
    data_store_list_free(&page);

    /* the byte cap ends a page early, never with zero records */
    data_list_params c = {.from_ms = 0, .limit = 100, .max_bytes = 1, .include_body = 1};
    assert_int_equal(data_store_list(f->w, &c, &page, err, sizeof err), 0);
    assert_int_equal(page.n_records, 1);
    assert_int_equal(page.more, 1);
    assert_non_null(page.next);
    data_store_list_free(&page);
}

static void t_search(void **state)
{
    fixture *f = *state;
    trec t[6];
    Sipc__Data__Record *recs[] = {
        mk(&t[0], "a", 100, "checkout failed: payment declined", "browser", "firefox", "app",
           "shop", NULL),
        mk(&t[1], "b", 200, "checkout ok", "browser", "chrome", "app", "shop", NULL),
        mk(&t[2], "c", 300, "checkout failed checkout failed again", "browser", "firefox", "app",
           "shop", NULL),
        mk(&t[3], "d", 400, "login page", "browser", "firefox", NULL),
        mk(&t[4], "e", 500, "checkout failed late", "browser", "firefox", "app", "shop", NULL),
        mk(&t[5], "f", 600, "payment page", "browser", "safari", NULL),
    };
    put_all(f->w, recs, 6, NULL);
    data_hits h;
    sipc_data_attr ff[] = {{"browser", "firefox"}, {"app", "shop"}};

    /* text, one attribute, time range [100, 500): a, c; c says it twice so ranks first */
    assert_int_equal(search(f->w, "checkout AND failed", ff, 1, 100, 500, 10, &h), 2);
    assert_string_equal(h.hits[0].id, "c");
    assert_string_equal(h.hits[1].id, "a");
    assert_true(h.hits[0].rank <= h.hits[1].rank);
    assert_int_equal(h.hits[0].timestamp_ms, 300);
    assert_int_equal(h.more, 0);
    data_hits_free(&h);
    /* both attributes must match; without the range e comes too */
    assert_int_equal(search(f->w, "checkout", ff, 2, 0, 0, 10, &h), 3);
    data_hits_free(&h);
    /* every one of more filters (joined as a tree of ANDs), the last one too */
    sipc_data_attr f3[] = {{"browser", "firefox"}, {"app", "shop"}, {"browser", "firefox"},
                           {"browser", "safari"}};
    assert_int_equal(search(f->w, "checkout", f3, 3, 0, 0, 10, &h), 3);
    data_hits_free(&h);
    assert_int_equal(search(f->w, "checkout", f3, 4, 0, 0, 10, &h), 0);
    data_hits_free(&h);
    /* limit and more */
    assert_int_equal(search(f->w, "checkout", NULL, 0, 0, 0, 2, &h), 2);
    assert_int_equal(h.more, 1);
    data_hits_free(&h);
    /* attributes only, newest first */
    assert_int_equal(search(f->w, NULL, ff, 1, 0, 0, 10, &h), 4);
    assert_string_equal(h.hits[0].id, "e");
    assert_string_equal(h.hits[3].id, "a");
    assert_true(h.hits[0].rank == 0.0);
    data_hits_free(&h);
    /* the attributes column is indexed too; prefix queries work */
    assert_int_equal(search(f->w, "attributes:safari", NULL, 0, 0, 0, 10, &h), 1);
    assert_string_equal(h.hits[0].id, "f");
    data_hits_free(&h);
    assert_int_equal(search(f->w, "pay*", NULL, 0, 0, 0, 10, &h), 2);
    data_hits_free(&h);
    /* no match at all */
    sipc_data_attr nope = {"browser", "lynx"};
    assert_int_equal(search(f->w, "checkout", &nope, 1, 0, 0, 10, &h), 0);
    data_hits_free(&h);
    /* a malformed query is the caller's error, with SQLite's reason */
    sipc_data_query q = {.match = "checkout AND (", .limit = 10};
    char err[256] = "";
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), SIPC_EINVAL);
    assert_non_null(strstr(err, "bad query"));
    assert_null(h.hits);
    q.match = "nosuchcolumn:x";
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), SIPC_EINVAL);
    /* "*" (every record, one might think): SQLite's words end empty; the
     * error says what a query may be */
    q.match = "*";
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), SIPC_EINVAL);
    assert_non_null(strstr(err, "bad query: unknown special query (a query is FTS5 syntax: "));
    assert_non_null(strstr(err, "an empty query matches every record)"));
}

/* Hits with their content: attributes in stored order (a key may repeat),
 * bodies cut at body_max with the stored size, a byte budget that stops the
 * hits early (but never below one), and newest-first order with a match. */
static void t_search_content(void **state)
{
    fixture *f = *state;
    trec t[7];
    static char big[3000];
    memset(big, 'x', sizeof big - 1);
    memcpy(big, "alert ", 6);
    Sipc__Data__Record *recs[] = {
        mk(&t[0], "old", 100, "alert alert alert", NULL),
        mk(&t[1], "mid", 200, big, NULL),
        mk(&t[2], "new", 300, "alert cpu", "tag", "a", "tag", "b", "host", "h1", NULL),
        /* so that "alert" is rare enough for bm25 to weigh it */
        mk(&t[3], "f1", 10, "quiet", NULL),
        mk(&t[4], "f2", 20, "quiet", NULL),
        mk(&t[5], "f3", 30, "quiet", NULL),
        mk(&t[6], "f4", 40, "quiet", NULL),
    };
    put_all(f->w, recs, 7, NULL);
    data_hits h;
    char err[256] = "";
    sipc_data_query q = {.match = "alert", .limit = 10, .content = 1, .body_max = 10,
                         .order = SIPC_DATA_ORDER_NEWEST};
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), 0);
    assert_int_equal(h.n, 3);
    assert_string_equal(h.hits[0].id, "new");
    assert_string_equal(h.hits[1].id, "mid");
    assert_string_equal(h.hits[2].id, "old");
    assert_true(h.hits[2].rank == 0.0); /* newest order: ranked only where it orders */
    assert_int_equal(h.hits[2].nattrs, 0);
    assert_int_equal(h.hits[0].body_len, 9);
    assert_int_equal(h.hits[0].body_size, 9);
    assert_memory_equal(h.hits[0].body, "alert cpu", 9);
    assert_int_equal(h.hits[1].body_len, 10); /* cut */
    assert_int_equal(h.hits[1].body_size, sizeof big - 1);
    assert_memory_equal(h.hits[1].body, "alert xxxx", 10);
    assert_int_equal(h.hits[0].nattrs, 3);
    assert_string_equal(h.hits[0].attrs[0].key, "tag");
    assert_string_equal(h.hits[0].attrs[0].value, "a");
    assert_string_equal(h.hits[0].attrs[1].key, "tag");
    assert_string_equal(h.hits[0].attrs[1].value, "b");
    assert_string_equal(h.hits[0].attrs[2].key, "host");
    assert_string_equal(h.hits[0].attrs[2].value, "h1");
    data_hits_free(&h);
    /* rank order: "old" says it three times */
    q.order = SIPC_DATA_ORDER_RANK;
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), 0);
    assert_string_equal(h.hits[0].id, "old");
    assert_true(h.hits[0].rank <= h.hits[1].rank && h.hits[1].rank <= h.hits[2].rank);
    data_hits_free(&h);
    /* whole bodies, and a budget smaller than the big one: the first hit
     * comes whatever its size, then nothing more */
    q.order = SIPC_DATA_ORDER_NEWEST;
    q.body_max = 0;
    q.max_bytes = 1000;
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), 0);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.more, 1);
    data_hits_free(&h);
    q.order = SIPC_DATA_ORDER_RANK;
    q.match = "cpu OR alert NOT xxxx*";
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), 0);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.more, 0);
    data_hits_free(&h);
    /* without content: ids only */
    q.content = 0;
    q.max_bytes = 1;
    assert_int_equal(data_store_search(f->w, &q, &h, err, sizeof err), 0);
    assert_int_equal(h.n, 2);
    assert_null(h.hits[0].body);
    assert_null(h.hits[0].attrs);
    data_hits_free(&h);
}

static void t_reader_and_schema(void **state)
{
    fixture *f = *state;
    char err[512];
    data_store *rd = NULL;
    assert_int_equal(data_store_open(&rd, f->path, DATA_STORE_READER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     0);
    trec t;
    put1(f->w, mk(&t, "seen", 1, "x", NULL), NULL);
    Sipc__Data__Record *r = get(rd, "seen");
    assert_non_null(r); /* a commit is visible to other connections at once */
    data_store_record_free(r);
    data_store_close(rd);

    assert_int_equal(dw_count(f->path, "SELECT count(*) FROM pragma_journal_mode WHERE "
                                    "journal_mode = 'wal'"),
                     1);
    assert_int_equal(dw_count(f->path, "PRAGMA user_version"), 1);
    /* reopening an existing database keeps its data */
    data_store_close(f->w);
    f->w = NULL;
    assert_int_equal(data_store_open(&f->w, f->path, DATA_STORE_WRITER, SIPC_DATA_SYNC_FULL, err,
                                     sizeof err),
                     0);
    r = get(f->w, "seen");
    assert_non_null(r);
    data_store_record_free(r);
    /* a database from a newer program is refused, not touched */
    data_store_close(f->w);
    f->w = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(data_store_open(&f->w, f->path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "schema version 7 is newer"));
    assert_null(f->w);
    /* a reader on a missing file fails with the path */
    char missing[700];
    snprintf(missing, sizeof missing, "%s/none.db", f->dir);
    assert_int_not_equal(data_store_open(&rd, missing, DATA_STORE_READER, SIPC_DATA_SYNC_NORMAL,
                                         err, sizeof err),
                         0);
    assert_non_null(strstr(err, "none.db"));
    /* a writer that cannot create its -wal file (a read-only home, here a
     * directory in its way) says why, with the system's reason */
    char blocked[700], wal[720];
    snprintf(blocked, sizeof blocked, "%s/blocked.db", f->dir);
    snprintf(wal, sizeof wal, "%s-wal", blocked);
    dw_make_db(blocked);
    data_store *b = NULL;
    assert_int_equal(mkdir(wal, 0700), 0);
    err[0] = '\0';
    assert_int_not_equal(data_store_open(&b, blocked, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL,
                                         err, sizeof err),
                         0);
    assert_null(b);
    if (!strstr(err, "blocked.db: set WAL mode: unable to open database file (Is a directory)"))
        fail_msg("unexpected reason: '%s'", err);
    rmdir(wal);
}


/* ------------------------------------------------- sipc_data on a loop */

typedef struct sres {
    int done, err, more;
    char message[256];
    char ids[8][16];
    size_t n;
} sres;

static void on_search(int err, const char *message, const sipc_data_hit *hits, size_t n,
                      int more, void *arg)
{
    sres *r = arg;
    r->done = 1;
    r->err = err;
    r->more = more;
    r->n = n;
    snprintf(r->message, sizeof r->message, "%s", message);
    for (size_t i = 0; i < n && i < 8; i++)
        snprintf(r->ids[i], sizeof r->ids[i], "%s", hits[i].id);
}

static void t_service_open_and_search(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datasvc");
    char dir[600], path[700], err[512] = "";
    snprintf(dir, sizeof dir, "%s/nested/data", home);
    snprintf(path, sizeof path, "%s/records.db", dir);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data *d = NULL;
    int rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* records written by another connection, as the writer job would */
    data_store *w;
    assert_int_equal(data_store_open(&w, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     0);
    trec t[3];
    Sipc__Data__Record *recs[] = {
        mk(&t[0], "x1", 10, "timeout in checkout", "browser", "firefox", NULL),
        mk(&t[1], "x2", 20, "timeout in login", "browser", "chrome", NULL),
        mk(&t[2], "x3", 30, "timeout in checkout", "browser", "firefox", NULL),
    };
    put_all(w, recs, 3, NULL);
    data_store_close(w);

    sipc_data_attr ff = {"browser", "firefox"};
    sipc_data_query q = {.match = "timeout", .attrs = &ff, .nattrs = 1, .from_ms = 0, .to_ms = 25};
    sres r = {0};
    assert_int_equal(sipc_data_search(d, &q, on_search, &r, err, sizeof err), 0);
    assert_true(tu_run_until(&loop, &r.done, 5000));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.ids[0], "x1");

    /* several at once share the reader pool */
    sres many[6];
    memset(many, 0, sizeof many);
    q.to_ms = 0;
    for (int i = 0; i < 6; i++)
        assert_int_equal(sipc_data_search(d, &q, on_search, &many[i], err, sizeof err), 0);
    for (int i = 0; i < 6; i++) {
        assert_true(tu_run_until(&loop, &many[i].done, 5000));
        assert_int_equal(many[i].n, 2);
    }

    /* a bad expression comes back through the callback */
    sipc_data_query bad = {.match = "\"unterminated"};
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_data_search(d, &bad, on_search, &r, err, sizeof err), 0);
    assert_true(tu_run_until(&loop, &r.done, 5000));
    assert_int_equal(r.err, SIPC_EINVAL);
    assert_non_null(strstr(r.message, "bad query"));

    /* limits and bad input are refused at once, without a callback */
    sipc_data_query big = {.limit = 100000};
    assert_int_equal(sipc_data_search(d, &big, on_search, &r, err, sizeof err), SIPC_ETOOBIG);
    assert_non_null(strstr(err, "limit 100000 exceeds the maximum of 1000"));
    sipc_data_query range = {.from_ms = 50, .to_ms = 40};
    assert_int_equal(sipc_data_search(d, &range, on_search, &r, err, sizeof err), SIPC_EINVAL);
    sipc_data_attr badattr = {"browser", "\xff"};
    sipc_data_query qa = {.attrs = &badattr, .nattrs = 1};
    assert_int_equal(sipc_data_search(d, &qa, on_search, &r, err, sizeof err), SIPC_EINVAL);
    sipc_data_query qm = {.match = "caf\xc3"};
    assert_int_equal(sipc_data_search(d, &qm, on_search, &r, err, sizeof err), SIPC_EINVAL);
    sipc_data_query qo = {.order = (sipc_data_order)7};
    assert_int_equal(sipc_data_search(d, &qo, on_search, &r, err, sizeof err), SIPC_EINVAL);
    assert_non_null(strstr(err, "unknown order"));

    /* a search in flight when close is called still completes, then close */
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_data_search(d, &q, on_search, &r, err, sizeof err), 0);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_int_equal(sipc_data_search(d, &q, on_search, &r, err, sizeof err), SIPC_ECLOSING);
    assert_true(tu_run_until(&loop, &closed, 5000));
    assert_int_equal(r.done, 1);
    assert_int_equal(r.n, 2);
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);

    /* a file where the directory should be */
    char file[700];
    snprintf(file, sizeof file, "%s/plainfile", home);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    assert_int_not_equal(sipc_data_open(&d, &loop, file, NULL, err, sizeof err), 0);
    assert_non_null(strstr(err, "plainfile"));
    /* more attributes than a search's filters can bind in one statement */
    sipc_data_options wide;
    sipc_data_options_init(&wide);
    wide.max_attributes = SIPC_DATA_MAX_ATTRIBUTES + 1;
    assert_int_equal(sipc_data_open(&d, &loop, home, &wide, err, sizeof err), SIPC_EINVAL);
    assert_string_equal(err, "max_attributes of 16001: at most 16000");
    tu_rmdir(home);
    free(home);
}

/* writes_slow_ms: the threshold sipc_data_waiting_get judges the oldest
 * write's wait by and gives back (sipcd's status shows it), the default
 * when 0; outside its range sipc_data_open refuses it, saying the range. */
static void t_writes_slow_threshold(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("dataslow");
    char err[512] = "";
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    sipc_data_options_init(&o);
    assert_int_equal(o.writes_slow_ms, SIPC_DATA_WRITES_SLOW_MS);
    static const unsigned given[] = {0, 700, SIPC_DATA_WRITES_SLOW_MAX_MS};
    static const uint64_t used[] = {SIPC_DATA_WRITES_SLOW_MS, 700, SIPC_DATA_WRITES_SLOW_MAX_MS};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        sipc_data *d = NULL;
        o.writes_slow_ms = given[i];
        assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
        sipc_data_waiting w;
        sipc_data_waiting_get(d, &w);
        assert_int_equal(w.slow_after_ms, used[i]);
        assert_int_equal(w.requests, 0);
        assert_int_equal(w.slow, 0);
        int closed = 0;
        sipc_data_close(d, dw_set_flag, &closed);
        assert_true(tu_run_until(&loop, &closed, 5000));
    }
    sipc_data *d = NULL;
    o.writes_slow_ms = SIPC_DATA_WRITES_SLOW_MIN_MS - 1;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), SIPC_EINVAL);
    assert_string_equal(err, "writes_slow_ms of 99: from 100 to 600000 (0: the default, 2000)");
    o.writes_slow_ms = SIPC_DATA_WRITES_SLOW_MAX_MS + 1;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), SIPC_EINVAL);
    assert_string_equal(err, "writes_slow_ms of 600001: from 100 to 600000 (0: the default, 2000)");
    assert_null(d);
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    free(home);
}

/* while count_looks: access(2) calls on the test's files, made on the
 * loop's thread (the main one) and on others (the thread pool) */
static int count_looks, loop_looks, pool_looks;
static pthread_t main_thread;

/* The service's waits are dw_short_waits' (DW_*_MS): the production ones
 * (a second between looks, 2 s to settle, 10 s to a timed attempt or a look
 * for a writable file system) would make these tests sit for a minute.
 * Long enough for a change to be seen, settle and be tried (a look, the
 * settling, the next look, the attempt itself): */
#define T_ATTEMPT_MS (DW_SETTLE_MS + 10 * DW_WATCH_MS)

/* Runs loop until d made its attempt number n (or 5 s passed): the
 * attempts it made. */
static uint64_t run_until_attempt(uv_loop_t *loop, sipc_data *d, uint64_t n)
{
    sipc_data_open_state os;
    uint64_t until = uv_now(loop) + 5000;
    sipc_data_open_state_get(d, &os);
    while (os.attempts < n && uv_now(loop) < until) {
        int never = 0;
        tu_run_until(loop, &never, 20);
        sipc_data_open_state_get(d, &os);
    }
    return os.attempts;
}


/* retry_open: a database that cannot be opened (here not a database at
 * all) leaves the service up, refusing calls with why; it is not tried
 * again while its files stay as they are, and is opened (opened_cb) once
 * they change; a service never opened closes cleanly. Without retry_open
 * the open fails as before. */
static void t_service_retry_open(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("dataretry");
    char path[700], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    dw_not_a_db(path);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    sipc_data_options_init(&o);
    sipc_data *d = NULL;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), DATA_STORE_DAMAGED);
    assert_non_null(strstr(err, "the database is damaged: stop the node and repair"));

    int opened = 0;
    o.retry_open = 1;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    dw_short_waits(&o);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_int_equal(os.attempts, 1);
    assert_null(strstr(os.reason, "records.db is not open (since "));
    assert_int_equal(sipc_data_search(d, &(sipc_data_query){.match = ""}, on_search, NULL, err,
                                      sizeof err),
                     UV_EIO);
    assert_non_null(strstr(err, "records.db is not open (since "));
    /* an invalid query is refused as such, whatever the database */
    assert_int_equal(sipc_data_search(d, &(sipc_data_query){.from_ms = 50, .to_ms = 40},
                                      on_search, NULL, err, sizeof err),
                     SIPC_EINVAL);
    assert_non_null(strstr(os.reason, "not a database"));
    assert_non_null(strstr(os.reason, "the data service opens the repaired records.db without a restart"));
    sipc_data_health w, r;
    sipc_data_health_get(d, &w, &r);
    assert_int_equal(w.failing, 1);
    assert_int_equal(r.failing, 1);
    sipc_data_query q = {.match = ""};
    sres res = {0};
    assert_int_equal(sipc_data_search(d, &q, on_search, &res, err, sizeof err), UV_EIO);
    assert_non_null(strstr(err, "records.db is not open"));
    sipc_data_mark m;
    sipc_data_mark_get(d, &m);
    assert_int_equal(m.instance, 0);

    /* nothing changes: no attempt (each one runs the start-up check); the
     * files are looked at on the thread pool, never on the loop's thread
     * (a hung NFS mount would stall every service of the node) */
    int never = 0;
    T_SET(loop_looks, 0);
    T_SET(pool_looks, 0);
    T_SET(count_looks, 1);
    assert_false(tu_run_until(&loop, &never, T_ATTEMPT_MS));
    T_SET(count_looks, 0);
    assert_int_equal(T_GET(loop_looks), 0);
    assert_true(T_GET(pool_looks) > 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.attempts, 1);

    /* the operator's work beside it (a file made in the directory): the
     * file found damaged, unchanged, is not opened again (a check cut
     * short on a large file could miss the damage) */
    char note[800];
    snprintf(note, sizeof note, "%s/repair-notes", home);
    FILE *fp = fopen(note, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(run_until_attempt(&loop, d, 2), 2);
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_int_equal(os.attempts, 2);
    assert_non_null(strstr(os.reason, "is still the file found damaged at"));

    /* the file moved aside for its repair: nothing is made in its place
     * (a new empty database would take writes, lost under the repaired
     * one); the reason says what is missing */
    char aside[800];
    snprintf(aside, sizeof aside, "%s.bad", path);
    assert_int_equal(rename(path, aside), 0);
    assert_int_equal(run_until_attempt(&loop, d, 3), 3);
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_true(os.attempts >= 2);
    assert_non_null(strstr(os.reason, "records.db is gone from"));
    struct stat st;
    assert_int_equal(lstat(path, &st), -1);
    char wal[800];
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(lstat(wal, &st), -1);

    /* the repaired database, made beside it */
    char fresh[800];
    snprintf(fresh, sizeof fresh, "%s/records.new.db", home);
    dw_make_db(fresh);

    /* another directory in the data directory's place (a disk unmounted,
     * its bare mount point; a directory made again), with a database in
     * it: not taken while the node runs */
    char old[800], other[800];
    snprintf(old, sizeof old, "%s.old", home);
    assert_int_equal(rename(home, old), 0);
    assert_int_equal(mkdir(home, 0700), 0);
    snprintf(other, sizeof other, "%s/records.db", home);
    dw_make_db(other);
    assert_true(run_until_attempt(&loop, d, 4) >= 4);
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_non_null(strstr(os.reason, "is not the directory the node started with"));
    tu_rmdir(home);
    assert_int_equal(rename(old, home), 0);

    /* the repaired database put in place: opened */
    assert_int_equal(rename(fresh, path), 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 1);
    sipc_data_health_get(d, &w, &r);
    assert_int_equal(w.failing, 0);
    assert_int_equal(r.failing, 0);
    sipc_data_mark_get(d, &m);
    assert_true(m.instance != 0);
    memset(&res, 0, sizeof res);
    assert_int_equal(sipc_data_search(d, &q, on_search, &res, err, sizeof err), 0);
    assert_true(tu_run_until(&loop, &res.done, 5000));
    assert_int_equal(res.err, 0);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));

    /* closed without ever being open */
    assert_int_equal(rename(aside, path), 0);
    opened = 0;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    assert_int_equal(opened, 0);
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    free(home);
}


/* access(2) asking whether records.db can be written says EROFS while
 * fake_erofs (the kernel's read-only state: data_open.c asks only so);
 * SQLite's open of records.db fails while fail_open (1: after a pause for
 * writes to queue meanwhile; 2: at once). */
static int fake_erofs, fail_open;
/* while ro_mount: statvfs of records.db says a read-only mount
 * (__wrap_statvfs) */
static int ro_mount;
int __real_access(const char *path, int mode);
int __wrap_access(const char *path, int mode);
int __wrap_access(const char *path, int mode)
{
    if (T_GET(count_looks) && strstr(path, "/sipc-")) {
        if (pthread_equal(pthread_self(), main_thread))
            T_INC(loop_looks);
        else
            T_INC(pool_looks);
    }
    if (T_GET(fake_erofs) && (mode & W_OK) && strstr(path, "records.db")) {
        errno = EROFS;
        return -1;
    }
    return __real_access(path, mode);
}
int __real_sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs);
int __wrap_sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs);
/* while ro_open: SQLite opens records.db read-only (as it does a file
 * this account cannot write), after a pause; ro_opens counts them */
static int ro_open, ro_opens;
/* when set: the writer's open of records.db is followed at once by this
 * file renamed over records.db (another file put in place during the
 * open's check), once */
static char replace_after_open[800];
/* with replace_after_open: the file opened is linked here first (to be put
 * back), and the rename waits for the open's first sqlite3_exec (after the
 * service took the identity of the file opened, during the open's work) */
static char keep_after_open[800], replace_path[800];
/* with keep_after_open: the rename comes at once (before the identity is
 * taken), the file opened linked there first all the same */
static int keep_at_once;
static void replace_now(const char *path)
{
    if (keep_after_open[0] && link(path, keep_after_open) != 0)
        fprintf(stderr, "link %s: %s\n", keep_after_open, strerror(errno));
    if (rename(replace_after_open, path) != 0)
        fprintf(stderr, "rename %s: %s\n", replace_after_open, strerror(errno));
    replace_after_open[0] = '\0';
}
int __wrap_sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
    if (replace_after_open[0] && !replace_path[0] && (flags & SQLITE_OPEN_READWRITE) &&
        strstr(path, "/records.db")) {
        int rc = __real_sqlite3_open_v2(path, db, flags, vfs);
        if (keep_after_open[0] && !keep_at_once)
            snprintf(replace_path, sizeof replace_path, "%s", path);
        else
            replace_now(path);
        return rc;
    }
    if (T_GET(ro_open) && strstr(path, "records.db")) {
        T_INC(ro_opens);
        usleep(400000);
        flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
    }
    if (T_GET(fail_open) && strstr(path, "records.db")) {
        if (T_GET(fail_open) == 1) /* 2: at once (a start, nothing to queue) */
            usleep(400000);
        return __real_sqlite3_open_v2("/nonexistent-sipc-dir/records.db", db,
                                      flags & ~SQLITE_OPEN_CREATE, vfs);
    }
    return __real_sqlite3_open_v2(path, db, flags, vfs);
}

/* retry_open, a records.db that could not be opened with a records.db-wal
 * beside it that SQLite did not get to remove (its open failed: fail_open;
 * an open that reaches the file checkpoints and removes a -wal it can): a
 * good database put in its place while that -wal stays is not opened
 * (SQLite would replay the old file's frames into it); the reason says to
 * remove the -wal and -shm, and once they are gone the good copy opens,
 * its records intact. */
static void t_service_stale_wal(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datastalewal");
    char path[700], wal[800], shm[800], fresh[800], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    snprintf(fresh, sizeof fresh, "%s/records.good.db", home);
    const char *files[] = {path, wal, shm};
    for (int f = 0; f < 3; f++) {
        FILE *fp = fopen(files[f], "w");
        assert_non_null(fp);
        for (int i = 0; i < 8192; i++)
            fputc('A', fp);
        fclose(fp);
    }
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    sipc_data *d = NULL;
    T_SET(fail_open, 2);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    T_SET(fail_open, 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    struct stat st;
    assert_int_equal(stat(wal, &st), 0);

    /* the good copy, made aside and put in place; the old -wal stays */
    data_store *w = NULL;
    assert_int_equal(data_store_open(&w, fresh, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     0);
    trec t[1];
    Sipc__Data__Record *recs[] = {mk(&t[0], "good1", 10, "kept", "k", "v", NULL)};
    put_all(w, recs, 1, NULL);
    data_store_close(w);
    assert_int_equal(rename(fresh, path), 0);
    assert_true(run_until_attempt(&loop, d, 2) >= 2);
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_true(os.attempts >= 2);
    assert_non_null(strstr(os.reason, "records.db was replaced, but records.db-wal beside it is "
                                      "the old file's log"));
    assert_non_null(strstr(os.reason, "remove records.db-wal and records.db-shm"));
    assert_int_equal(stat(wal, &st), 0); /* left as it was */
    assert_int_equal(st.st_size, 8192);

    /* the -wal and -shm removed: the good copy opens, its record there */
    assert_int_equal(unlink(wal), 0);
    assert_int_equal(unlink(shm), 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 1);
    sipc_data_query q = {.match = ""};
    sres res = {0};
    assert_int_equal(sipc_data_search(d, &q, on_search, &res, err, sizeof err), 0);
    assert_true(tu_run_until(&loop, &res.done, 5000));
    assert_int_equal(res.err, 0);
    assert_int_equal(res.n, 1);
    assert_string_equal(res.ids[0], "good1");
    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}


/* A first start that could not make records.db (fail_open stands for a
 * data/ this account cannot write, a read-only or full file system; as
 * root a chmod does not refuse): once the cause is gone and the directory
 * changes (the operator's chmod), the node makes the database by itself,
 * as the reason says, without a restart; an empty records.db left by a
 * start on a full disk too. What it must not do: make one in a directory
 * that is not the one it started with, or in place of a records.db with
 * content that appeared since and was moved aside. */
static void t_service_first_create(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datafirst");
    char path[700], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    struct stat st;
    sipc_data_open_state os;
    sipc_data_mark m;
    for (int empty = 0; empty < 2; empty++) {
        /* empty: SQLite made a 0-byte records.db, then the disk was full */
        if (empty) {
            FILE *fp = fopen(path, "w");
            assert_non_null(fp);
            fclose(fp);
        }
        sipc_data *d = NULL;
        opened = 0;
        T_SET(fail_open, 2);
        assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
        T_SET(fail_open, 0);
        sipc_data_open_state_get(d, &os);
        assert_int_equal(os.open, 0);
        assert_non_null(strstr(os.reason, "this node has no database yet: once the cause is "
                                          "fixed, the data service makes records.db"));
        assert_int_equal(lstat(path, &st), empty ? 0 : -1);
        /* the operator's chmod u+w */
        assert_int_equal(chmod(home, 0700), 0);
        assert_true(tu_run_until(&loop, &opened, 5000));
        sipc_data_open_state_get(d, &os);
        assert_int_equal(os.open, 1);
        /* made by the later attempt: the host's finding depends on it */
        assert_int_equal(os.made_new, 1);
        sipc_data_mark_get(d, &m);
        assert_true(m.instance != 0);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(st.st_size > 0);
        int closed = 0;
        sipc_data_close(d, dw_set_flag, &closed);
        assert_true(tu_run_until(&loop, &closed, 5000));
        static const char *const sfx[] = {"", "-wal", "-shm"};
        char side[800];
        for (size_t i = 0; i < 3; i++) {
            snprintf(side, sizeof side, "%s%s", path, sfx[i]);
            unlink(side);
        }
    }

    /* a records.db with content put there meanwhile (it fails: not a
     * database), then moved aside: nothing is made in its place */
    sipc_data *d = NULL;
    opened = 0;
    T_SET(fail_open, 2);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    T_SET(fail_open, 0);
    dw_not_a_db(path);
    assert_int_equal(run_until_attempt(&loop, d, 2), 2);
    sipc_data_open_state_get(d, &os);
    assert_non_null(strstr(os.reason, "not a database"));
    char aside[800];
    snprintf(aside, sizeof aside, "%s.bad", path);
    assert_int_equal(rename(path, aside), 0);
    assert_int_equal(run_until_attempt(&loop, d, 3), 3);
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(d, &os);
    assert_non_null(strstr(os.reason, "records.db is gone from"));
    assert_int_equal(lstat(path, &st), -1);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    assert_int_equal(unlink(aside), 0);

    /* another directory in its place (a disk not mounted yet, its bare
     * mount point): nothing is made there */
    d = NULL;
    T_SET(fail_open, 2);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    T_SET(fail_open, 0);
    char old[800];
    snprintf(old, sizeof old, "%s.old", home);
    assert_int_equal(rename(home, old), 0);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(run_until_attempt(&loop, d, 2), 2);
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(d, &os);
    assert_non_null(strstr(os.reason, "is not the directory the node started with"));
    assert_int_equal(lstat(path, &st), -1);
    closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    tu_rmdir(old);
    free(home);
}


/* The Data.Storage lines the service said (t_service_start_timed). */
static char said[16][1400];
static int nsaid;
static void keep_line(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    (void)level;
    if (nsaid < 16 && !strcmp(category, "Data.Storage"))
        snprintf(said[nsaid++], sizeof said[0], "%s", msg);
}

static int said_with(const char *a, const char *b)
{
    for (int i = 0; i < nsaid; i++)
        if (strstr(said[i], a) && (!b || strstr(said[i], b)))
            return 1;
    return 0;
}

/* A home with a database in it (path: its records.db), loop initialised,
 * o the test's options with the Data.Storage lines kept (keep_line): the
 * timed attempts' tests. */
static char *timed_home(const char *name, char *path, size_t len, uv_loop_t *loop,
                        sipc_data_options *o)
{
    char *home = tu_mkdtemp(name);
    snprintf(path, len, "%s/records.db", home);
    dw_make_db(path);
    assert_int_equal(uv_loop_init(loop), 0);
    dw_test_options(o, NULL);
    o->log = keep_line;
    nsaid = 0;
    return home;
}

/* A later open refused for records.db-shm (here writable by other
 * accounts; a link, another account's file) is made again once that file
 * is fixed, within a settle, as for records.db: the fix is a change of the
 * files, not left to the next timed attempt (here a minute away). */
static void t_service_shm_fixed(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datashmfix");
    char path[700], fresh[700], shm[720], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    snprintf(fresh, sizeof fresh, "%s/records.new.db", home);
    snprintf(shm, sizeof shm, "%s-shm", path);
    dw_not_a_db(path); /* not a database: the start cannot open it */
    dw_make_db(fresh);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    o.retry_ms = 60000;
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    sipc_data *d = NULL;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    /* a good database put in place, beside a -shm the check refuses */
    FILE *fp = fopen(shm, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(shm, 0666), 0);
    assert_int_equal(rename(fresh, path), 0);
    const char *refused = "records.db-shm can be written by other accounts";
    for (int i = 0; i < 100 && (sipc_data_open_state_get(d, &os), !strstr(os.reason, refused));
         i++) {
        int never = 0;
        tu_run_until(&loop, &never, 20);
    }
    assert_non_null(strstr(os.reason, refused));
    assert_int_equal(chmod(shm, 0600), 0);
    assert_true(tu_run_until(&loop, &opened, 4 * T_ATTEMPT_MS));
    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}

/* A start refused by a cause no file shows (an open that fails: another
 * process's lock, an I/O error, a full disk) is tried again on a timer, as
 * a failed reopen is; each failed attempt says what started it (the timer,
 * or a change of the files), whatever the next ones wait for; and once the
 * cause is gone the database opens with no file changed. */
static void t_service_start_timed(void **state)
{
    (void)state;
    char path[700], err[1024] = "";
    uv_loop_t loop;
    sipc_data_options o;
    char *home = timed_home("datatimed", path, sizeof path, &loop, &o);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    sipc_data *d = NULL;
    T_SET(fail_open, 2);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    char timer[200];
    snprintf(timer, sizeof timer,
             "and on a timer, as the cause may show in no file (after %g s, then twice as long "
             "each time up to %g s)",
             DW_RETRY_MS / 1000.0, 16 * DW_RETRY_MS / 1000.0);
    assert_true(said_with("the database cannot be opened", timer));
    assert_non_null(strstr(os.reason, "or at its next timed attempt"));
    /* the cause stays: the timer's attempt fails, and says it was the timer's */
    assert_int_equal(run_until_attempt(&loop, d, 2), 2);
    assert_true(said_with("(attempt 2, on the timer, no file having changed)", NULL));
    /* a change of the files: that attempt says so, the timer still running */
    assert_int_equal(chmod(home, 0700), 0);
    assert_int_equal(run_until_attempt(&loop, d, 3), 3);
    assert_true(said_with("(attempt 3, after its files changed)", NULL));
    /* the cause gone, no file changed: it opens on the timer */
    T_SET(fail_open, 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 1);
    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}

/* A database SQLite cannot open on a read-only file system (its -shm gone:
 * SQLite answers "unable to open database file" with ENOENT, for a file
 * that is there): the start's reason names the read-only file system and
 * the remount, and so does every timed attempt's after it, in the status
 * and in the log; the bare ENOENT was once taken for records.db gone. */
static void t_service_erofs_timed(void **state)
{
    (void)state;
    char path[700], err[1024] = "";
    uv_loop_t loop;
    sipc_data_options o;
    char *home = timed_home("dataerofst", path, sizeof path, &loop, &o);
    const char *cause = "it is on a read-only file system, where SQLite cannot open a database "
                        "whose -shm file is gone: remount it read-write";
    sipc_data *d = NULL;
    T_SET(ro_mount, 1);
    T_SET(fail_open, 2);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_non_null(strstr(os.reason, "(No such file or directory)"));
    assert_non_null(strstr(os.reason, cause));
    assert_int_equal(run_until_attempt(&loop, d, 3), 3);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_non_null(strstr(os.reason, cause));
    assert_non_null(strstr(os.reason, "the data service opens it then, without a restart"));
    assert_null(strstr(os.reason, "is gone from"));
    assert_true(said_with("(attempt 2, on the timer, no file having changed)", cause));
    T_SET(fail_open, 0);
    T_SET(ro_mount, 0);
    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}

/* The timer's attempts that fail as the last one said are not said again
 * (a data directory others may write refused at every attempt wrote an
 * ERROR each time, about 22 an hour): the first is, and the next one whose
 * reason changed, with how many were not said; the status has the fresh
 * reason meanwhile. */
static void t_service_timed_quiet(void **state)
{
    (void)state;
    char path[700], err[1024] = "";
    uv_loop_t loop;
    sipc_data_options o;
    char *home = timed_home("datatimedquiet", path, sizeof path, &loop, &o);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    o.retry_ms = 100; /* 0.1, 0.2, 0.4, 0.8 s: several timed attempts */
    sipc_data *d = NULL;
    T_SET(fail_open, 2);
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    /* the directory made writable by the group: data_check_db_dir refuses it */
    assert_int_equal(chmod(home, 0770), 0);
    assert_int_equal(run_until_attempt(&loop, d, 2), 2);
    assert_true(said_with("(attempt 2, after its files changed)", "can be written by other"));
    assert_int_equal(run_until_attempt(&loop, d, 5), 5);
    assert_true(said_with("(attempt 3, on the timer, no file having changed)",
                          "can be written by other"));
    assert_false(said_with("(attempt 4,", NULL));
    assert_false(said_with("(attempt 5,", NULL));
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_non_null(strstr(os.reason, "can be written by other accounts"));
    /* another reason, no file changed (the kernel's read-only state) */
    T_SET(fake_erofs, 1);
    assert_int_equal(run_until_attempt(&loop, d, 6), 6);
    T_SET(fake_erofs, 0);
    assert_true(said_with("(attempt 6, on the timer, no file having changed; 2 earlier timed "
                          "attempts failed as the last line said)",
                          "read-only"));
    sipc_data_open_state_get(d, &os);
    assert_non_null(strstr(os.reason, "read-only"));
    /* the cause gone */
    T_SET(fail_open, 0);
    assert_int_equal(chmod(home, 0700), 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}


typedef struct putter {
    dw *w;
    uv_timer_t t;
    int sent, answered, storage, ok, stop;
    char last[600];
    dw_result r[800]; /* one put every 25 ms for the 20 s the reopen is waited for */
} putter;

static void on_put_answer(int err, const sipc_reply *rep, void *arg)
{
    dw_result *r = arg;
    putter *p = (putter *)r->data;
    r->data = NULL;
    p->answered++;
    if (rep->status == SIPC_DATA_STORAGE) {
        p->storage++;
        snprintf(p->last, sizeof p->last, "%s", rep->message);
    } else if (err == 0 && rep->status == 0) {
        p->ok++;
    }
}

static void on_put_timer(uv_timer_t *t)
{
    putter *p = t->data;
    if (p->stop || p->sent == 800) {
        uv_timer_stop(t);
        return;
    }
    trec tr;
    char id[32];
    snprintf(id, sizeof id, "q%d", p->sent);
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    m.record = mk(&tr, id, 1000 + p->sent, "queued during the reopen", NULL);
    uint8_t buf[512];
    size_t n = protobuf_c_message_pack(&m.base, buf);
    dw_result *r = &p->r[p->sent++];
    r->data = (uint8_t *)p;
    assert_int_equal(sipc_call(p->w->ch, SIPC_DATA_SERVICE, "put", buf, n, 10000, on_put_answer, r),
                     0);
}

static void on_t_closed(uv_handle_t *h)
{
    *(int *)h->data = 1;
}

/* A writer opened read-only (the file system looked read-only) is opened
 * again once it looks writable; when that open fails, the writes queued
 * behind it are answered STORAGE with why (no write job runs without a
 * writer), and the open is tried again on a timer although no file
 * changes (the cause, here an open that fails, shows in none). */
static void t_service_reopen_fails(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    T_SET(fake_erofs, 1);
    dw *w = dw_world("127.1.63.1", &o);
    sipc_data_health hw, hr;
    sipc_data_health_get(w->d, &hw, &hr);
    assert_int_equal(hw.failing, 1);
    assert_non_null(strstr(hw.last_error, "read-only"));
    /* writable again, but the open fails: puts keep coming meanwhile */
    T_SET(fake_erofs, 0);
    T_SET(fail_open, 1);
    putter *p = calloc(1, sizeof *p);
    p->w = w;
    uv_timer_init(&w->loop, &p->t);
    p->t.data = p;
    /* from before the look that finds it writable, through the reopen */
    uv_timer_start(&p->t, on_put_timer, DW_PROBE_MS / 2, 25);
    sipc_data_open_state os = {.open = 1};
    uint64_t until = uv_now(&w->loop) + 20000;
    while (os.open && uv_now(&w->loop) < until) {
        uv_run(&w->loop, UV_RUN_ONCE);
        sipc_data_open_state_get(w->d, &os);
    }
    assert_int_equal(os.open, 0);
    p->stop = 1;
    until = uv_now(&w->loop) + 10000;
    while (p->answered < p->sent && uv_now(&w->loop) < until)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(p->answered, p->sent);
    assert_true(p->storage > 0);
    assert_non_null(strstr(p->last, "records.db is not open"));

    /* the cause gone, no file changed: it opens again on its own */
    T_SET(fail_open, 0);
    until = uv_now(&w->loop) + 25000;
    while (!os.open && uv_now(&w->loop) < until) {
        uv_run(&w->loop, UV_RUN_ONCE);
        sipc_data_open_state_get(w->d, &os);
    }
    assert_int_equal(os.open, 1);
    trec tr;
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    m.record = mk(&tr, "after", 5, "written", NULL);
    dw_result r;
    dw_call(w, "put", &m.base, &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 0);
    dw_result_free(&r);
    int closed = 0;
    p->t.data = &closed;
    uv_close((uv_handle_t *)&p->t, on_t_closed);
    dw_close(w);
    free(p);
    dw_free(w);
    dw_host = "127.0.0.1";
}


/* A writer opened read-only whose reopen gives a read-only connection
 * again (SQLite's choice: ro_open) is opened once, not a second time at
 * once because the reopen itself changed the files; the probe's looks at
 * the files are made off the loop's thread. */
static void t_service_reopen_once(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    T_SET(fake_erofs, 1);
    dw *w = dw_world("127.1.67.1", &o);
    sipc_data_health hw, hr;
    sipc_data_health_get(w->d, &hw, &hr);
    assert_int_equal(hw.failing, 1);
    T_SET(ro_opens, 0);
    T_SET(ro_open, 1);
    T_SET(loop_looks, 0);
    T_SET(pool_looks, 0);
    T_SET(count_looks, 1);
    T_SET(fake_erofs, 0);
    int never = 0;
    uint64_t until = uv_now(&w->loop) + 5000;
    while (T_GET(ro_opens) == 0 && uv_now(&w->loop) < until)
        tu_run_until(&w->loop, &never, 20);
    assert_int_equal(T_GET(ro_opens), 1);
    /* the reopen (0.4 s) and several probe looks after it */
    assert_false(tu_run_until(&w->loop, &never, 400 + 4 * DW_PROBE_MS));
    T_SET(count_looks, 0);
    T_SET(ro_open, 0);
    assert_int_equal(T_GET(ro_opens), 1);
    assert_int_equal(T_GET(loop_looks), 0);
    assert_true(T_GET(pool_looks) > 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(w->d, &os);
    assert_int_equal(os.open, 1);
    sipc_data_health_get(w->d, &hw, &hr);
    assert_int_equal(hw.failing, 1); /* still read-only: the writes' reason stays */
    dw_world_end(w, NULL);
}


/* A records.db put in place while the writer was read-only (a restore,
 * then a remount read-write) is taken as a new open when the writer is
 * opened again: its identity, the start's check, opened_cb. */
static void t_service_reopen_replaced(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    T_SET(fake_erofs, 1);
    dw *w = dw_world("127.1.63.2", &o);
    sipc_data_open_state os0;
    sipc_data_open_state_get(w->d, &os0);
    assert_int_equal(os0.made_new, 1); /* none there at start */
    sipc_data_mark before, after;
    sipc_data_mark_get(w->d, &before);
    assert_true(before.instance != 0);
    char path[700], fresh[700], err[512];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(fresh, sizeof fresh, "%s/restored.db", w->dir);
    data_store *nw = NULL;
    assert_int_equal(data_store_open(&nw, fresh, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     0);
    sipc_data_mark nm;
    assert_int_equal(data_store_meta(nw, &nm, err, sizeof err), 0);
    data_store_close(nw);
    assert_true(nm.instance != before.instance);
    /* put in place beside the -wal the writer used (SQLite neither
     * checkpoints nor deletes the -wal of a file moved under it): not
     * opened, it would be replayed into the new one */
    char side[720];
    struct stat wst;
    snprintf(side, sizeof side, "%s-wal", path);
    assert_int_equal(lstat(side, &wst), 0);
    assert_int_equal(rename(fresh, path), 0);
    T_SET(fake_erofs, 0);
    /* the probe notices the file system writable (every DW_PROBE_MS) */
    sipc_data_open_state os = {.open = 1};
    uint64_t until = uv_now(&w->loop) + 5000;
    while (os.open && uv_now(&w->loop) < until) {
        uv_run(&w->loop, UV_RUN_ONCE);
        sipc_data_open_state_get(w->d, &os);
    }
    assert_int_equal(opened, 0);
    sipc_data_open_state_get(w->d, &os);
    assert_int_equal(os.open, 0);
    assert_non_null(strstr(os.reason, "records.db was replaced, but records.db-wal beside it is "
                                      "the old file's log"));
    /* as the repair says: the old -wal and -shm removed: opened */
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    assert_true(tu_run_until(&w->loop, &opened, 20000));
    sipc_data_mark_get(w->d, &after);
    assert_int_equal(after.instance, nm.instance);
    /* the file put in place was not made: the host's records_mark_start,
     * run again by opened_cb, says no finding of a missing one about it */
    sipc_data_open_state_get(w->d, &os);
    assert_int_equal(os.made_new, 0);
    trec tr;
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    m.record = mk(&tr, "restored", 5, "written", NULL);
    dw_result r;
    dw_call(w, "put", &m.base, &r);
    assert_int_equal(r.status, 0);
    dw_result_free(&r);
    dw_world_end(w, NULL);
}

/* As t_service_reopen_replaced, the old -wal and -shm removed before the
 * reopen: the writer's reopen opens the file put in place itself, and it
 * says nothing made (made_new was the start's, when none was there). */
static void t_service_reopen_replaced_made(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    T_SET(fake_erofs, 1);
    dw *w = dw_world("127.1.83.2", &o);
    sipc_data_open_state os;
    sipc_data_open_state_get(w->d, &os);
    assert_int_equal(os.made_new, 1);
    sipc_data_mark before, after;
    sipc_data_mark_get(w->d, &before);
    char path[700], fresh[700], side[720], err[512];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(fresh, sizeof fresh, "%s/restored.db", w->dir);
    data_store *nw = NULL;
    assert_int_equal(data_store_open(&nw, fresh, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err,
                                     sizeof err),
                     0);
    sipc_data_mark nm;
    assert_int_equal(data_store_meta(nw, &nm, err, sizeof err), 0);
    data_store_close(nw);
    assert_true(nm.instance != before.instance);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    assert_int_equal(rename(fresh, path), 0);
    T_SET(fake_erofs, 0);
    assert_true(tu_run_until(&w->loop, &opened, 20000));
    sipc_data_mark_get(w->d, &after);
    assert_int_equal(after.instance, nm.instance);
    sipc_data_open_state_get(w->d, &os);
    assert_int_equal(os.open, 1);
    assert_int_equal(os.made_new, 0);
    dw_world_end(w, NULL);
}

/* gone_put: a put of id, its status (0 stored); the reason in msg. */
/* Runs loop for ms. */
static void run_ms(uv_loop_t *loop, int ms)
{
    int never = 0;
    tu_run_until(loop, &never, ms);
}

static int gone_get(dw *w, const char *id)
{
    Sipc__Data__GetRequest m = SIPC__DATA__GET_REQUEST__INIT;
    m.id = bin(id);
    dw_result r;
    dw_call(w, "get", &m.base, &r);
    int st = r.err == 0 ? 0 : r.status ? r.status : r.err;
    dw_result_free(&r);
    return st;
}

/* The name of the first records.db.saved-* in dir, or "" . */
static void gone_saved(const char *dir, char *out, size_t len)
{
    out[0] = '\0';
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd)))
        if (!strncmp(e->d_name, "records.db.saved-", 17) && !strstr(e->d_name, ".incomplete"))
            snprintf(out, len, "%s/%s", dir, e->d_name);
    if (dd)
        closedir(dd);
}

/* records.db moved away while open: seen within a few looks, on the thread
 * pool; writes refused with STORAGE saying so (and the write's health
 * fails), reads served from the open file, a copy of every committed record
 * written beside it; moved back, writes are taken again. */
static void t_service_gone(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    dw *w = dw_world("127.1.76.2", &o);
    char path[700], away[700], msg[600], copy[900];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(gone_get(w, "a"), 0);
    assert_int_equal(rename(path, away), 0);
    int st = 0;
    for (int i = 0; i < 100 && (st = dw_put(w, "b", msg, sizeof msg)) == 0; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_int_equal(st, SIPC_DATA_STORAGE);
    assert_non_null(strstr(msg, "records.db is gone from"));
    sipc_data_health wh, rh;
    sipc_data_health_get(w->d, &wh, &rh);
    assert_int_equal(wh.failing, 1);
    assert_non_null(strstr(wh.last_error, "records.db is gone from"));
    /* reads: from the open file */
    assert_int_equal(gone_get(w, "a"), 0);
    /* the copy, with every record taken before */
    for (int i = 0; i < 100 && (gone_saved(w->dir, copy, sizeof copy), !copy[0]); i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_true(copy[0]);
    /* "a", and "b" when a put came before the look */
    int64_t taken = dw_count(copy, "SELECT count(*) FROM records");
    assert_true(taken >= 1 && taken <= 2);
    /* the file is renamed in place on the pool before the loop hears of it */
    for (int i = 0; i < 100; i++) {
        sipc_data_health_get(w->d, &wh, &rh);
        if (strstr(wh.last_error, "every committed record is copied to"))
            break;
        run_ms(&w->loop, 20);
    }
    assert_non_null(strstr(wh.last_error, "every committed record is copied to"));
    assert_int_equal(rename(away, path), 0);
    for (int i = 0; i < 100 && (st = dw_put(w, "c", msg, sizeof msg)) != 0; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_int_equal(st, 0);
    dw_close(w);
    /* the copy held what the open file held: with "c", all of it */
    assert_int_equal(dw_count(path, "SELECT count(*) FROM records"), taken + 1);
    dw_free(w);
    dw_host = "127.0.0.1";
}

/* records.db removed (or another file put in its place) while open and
 * the node stopped before any look saw it (or with the look's verdict
 * dropped as the close began): the stop finds it gone itself, copies every
 * committed record beside it and says so, rather than checkpointing them
 * into the file no name leads to, which the kernel then frees; another
 * file put there is left as it was. A name that cannot be looked at (here
 * a link to itself: ELOOP; EACCES, EIO alike) is taken as there, as the
 * looks take it: the stop is a normal one (here into the file moved
 * away, which then holds every record). */
enum { UNSEEN_REMOVED, UNSEEN_REPLACED, UNSEEN_UNREADABLE };
static void stop_unseen_gone(int how)
{
    int replaced = how == UNSEEN_REPLACED;
    tu_log dlog = {0};
    sipc_data_options o;
    dw_test_options(&o, &dlog);
    o.watch_ms = 600000; /* no look comes before the stop */
    dw *w = dw_world(how == UNSEEN_REPLACED     ? "127.1.106.4"
                     : how == UNSEEN_UNREADABLE ? "127.1.106.5"
                                                : "127.1.106.1",
                     &o);
    char path[700], other[700], msg[600], copy[900], err[512];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(other, sizeof other, "%s/other.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(dw_put(w, "b", msg, sizeof msg), 0);
    if (how == UNSEEN_UNREADABLE) {
        assert_int_equal(rename(path, other), 0);
        assert_int_equal(symlink("records.db", path), 0);
        dw_close(w);
        gone_saved(w->dir, copy, sizeof copy);
        assert_false(copy[0]);
        assert_false(tu_log_has(&dlog, "stopped with records.db"));
        assert_int_equal(dw_count(other, "SELECT count(*) FROM records"), 2);
        dw_world_end(w, &dlog);
        return;
    }
    if (replaced) {
        data_store *nw = NULL;
        assert_int_equal(data_store_open(&nw, other, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL,
                                         err, sizeof err),
                         0);
        data_store_close(nw);
        assert_int_equal(rename(other, path), 0);
    } else {
        assert_int_equal(unlink(path), 0);
    }
    dw_close(w);
    gone_saved(w->dir, copy, sizeof copy);
    assert_true(copy[0]);
    assert_int_equal(dw_count(copy, "SELECT count(*) FROM records"), 2);
    assert_true(tu_log_has(&dlog, replaced ? "stopped with records.db another file than the one "
                                             "open: every committed record is in"
                                           : "stopped with records.db gone (removed or moved "
                                             "away): every committed record is in"));
    if (replaced) {
        /* the open file's -wal set aside, never left to be replayed into
         * the other file, and nothing of it went into that file */
        char wal[720];
        snprintf(wal, sizeof wal, "%s-wal", path);
        assert_int_not_equal(access(wal, F_OK), 0);
        assert_int_equal(dw_count(path, "SELECT count(*) FROM records"), 0);
    }
    tu_log_free(&dlog);
    dw_free(w);
    dw_host = "127.0.0.1";
}

/* state: the UNSEEN_* case (main names each) */
static void t_stop_unseen(void **state)
{
    stop_unseen_gone(*(const int *)*state);
}
static const int unseen_cases[] = {UNSEEN_REMOVED, UNSEEN_REPLACED, UNSEEN_UNREADABLE};

/* The renames of the copy of a gone records.db fail while fail_copy
 * (ENOSPC, as a full disk), counted in copy_tries (__wrap_renameat2). */
static int fail_copy, copy_tries;

/* while little_room: statvfs says 64 KiB are free, and counts its calls
 * (a copy's room looked at without a copy being written) */
static int little_room, room_looks;
int __real_statvfs(const char *path, struct statvfs *v);
int __wrap_statvfs(const char *path, struct statvfs *v);
int __wrap_statvfs(const char *path, struct statvfs *v)
{
    int rc = __real_statvfs(path, v);
    if (rc == 0 && T_GET(ro_mount) && strstr(path, "records.db"))
        v->f_flag |= ST_RDONLY;
    if (rc == 0 && __atomic_load_n(&little_room, __ATOMIC_SEQ_CST)) {
        v->f_bavail = 65536 / (v->f_frsize ? v->f_frsize : 1);
        __atomic_add_fetch(&room_looks, 1, __ATOMIC_SEQ_CST);
    }
    return rc;
}

static int log_count(const tu_log *l, const char *needle)
{
    int n = 0;
    for (const char *p = l->buf; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* A copy of the gone file that failed (a full disk) is tried again while
 * the node runs, less and less often, its failure logged once; once room
 * is made the copy is written without a stop. With no read connection open
 * when it went, the log does not say reads are served. */
static void t_service_gone_copy_retry(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = dw_logged_world("127.1.84.2", &dlog);
    char path[700], away[700], msg[600], copy[900];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    T_SET(fail_copy, 1);
    T_SET(copy_tries, 0);
    assert_int_equal(rename(path, away), 0);
    for (int i = 0; i < 200 && !tu_log_has(&dlog, "could not be copied beside it"); i++)
        run_ms(&w->loop, 20);
    assert_true(tu_log_has(&dlog, "could not be copied beside it"));
    assert_true(tu_log_has(&dlog, "reads fail too: no read connection was open on it"));
    assert_false(tu_log_has(&dlog, "reads are served"));
    assert_int_equal(dw_put(w, "b", msg, sizeof msg), SIPC_DATA_STORAGE);
    assert_non_null(strstr(msg, "the node tries again (at most 4.8 s apart) and at stop"));
    /* tried again after 0.3, 0.6, 1.2 s: said once */
    for (int i = 0; i < 200 && T_GET(copy_tries) < 3; i++)
        run_ms(&w->loop, 20);
    assert_true(T_GET(copy_tries) >= 3);
    assert_int_equal(log_count(&dlog, "could not be copied beside it"), 1);
    /* room made: the copy, without a stop */
    T_SET(fail_copy, 0);
    for (int i = 0; i < 400 && (gone_saved(w->dir, copy, sizeof copy), !copy[0]); i++)
        run_ms(&w->loop, 20);
    assert_true(copy[0]);
    assert_true(dw_count(copy, "SELECT count(*) FROM records") >= 1);
    sipc_data_health wh, rh;
    for (int i = 0; i < 100; i++) {
        sipc_data_health_get(w->d, &wh, &rh);
        if (strstr(wh.last_error, "every committed record is copied to"))
            break;
        run_ms(&w->loop, 20);
    }
    assert_non_null(strstr(wh.last_error, "every committed record is copied to"));
    assert_int_equal(rename(away, path), 0);
    dw_world_end(w, &dlog);
}

/* records.db found gone (replaced by another file; or moved away, its copy
 * failing as on a full disk), the open one put back as the reason says and
 * the node stopped before a look saw it back (a look's verdict is dropped
 * as the close begins): the stop looks itself, finds the name leading to
 * the open file again and stops normally, its -wal checkpointed into it
 * (set aside, records.db would start without the records since the last
 * checkpoint); a copy made meanwhile is said not needed. */
enum { BACK_OTHER, BACK_MISSING };
static void t_stop_back(void **state)
{
    int how = *(const int *)*state;
    tu_log dlog = {0};
    sipc_data_options o;
    dw_test_options(&o, &dlog);
    dw *w = dw_world(how == BACK_OTHER ? "127.1.121.1" : "127.1.121.2", &o);
    char path[700], other[700], keep[700], msg[600], copy[900], wal[720];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(other, sizeof other, "%s/other.db", w->home);
    snprintf(keep, sizeof keep, "%s/keep.db", w->home);
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(dw_put(w, "b", msg, sizeof msg), 0);
    const char *found;
    if (how == BACK_OTHER) {
        dw_make_db(other);
        assert_int_equal(link(path, keep), 0);
        assert_int_equal(rename(other, path), 0);
        found = "is another file than the one the node has open";
    } else {
        T_SET(fail_copy, 1);
        assert_int_equal(rename(path, keep), 0);
        found = "could not be copied beside it";
    }
    for (int i = 0; i < 200 && !tu_log_has(&dlog, found); i++)
        run_ms(&w->loop, 20);
    assert_true(tu_log_has(&dlog, found));
    if (how == BACK_OTHER) {
        for (int i = 0; i < 200 && (gone_saved(w->dir, copy, sizeof copy), !copy[0]); i++)
            run_ms(&w->loop, 20);
        assert_true(copy[0]);
    }
    assert_int_equal(rename(keep, path), 0);
    dw_close(w);
    T_SET(fail_copy, 0);
    assert_false(tu_log_has(&dlog, "stopped with records.db"));
    assert_true(tu_log_has(&dlog, "names the file the node has open again at stop: a normal stop"));
    assert_int_equal(tu_log_has(&dlog, "made meanwhile is not needed: remove it)"),
                     how == BACK_OTHER);
    /* checkpointed: nothing left in a -wal, none set aside */
    assert_int_not_equal(access(wal, F_OK), 0);
    assert_int_equal(dw_count(path, "SELECT count(*) FROM records"), 2);
    tu_log_free(&dlog);
    dw_free(w);
    dw_host = "127.0.0.1";
}
static const int back_cases[] = {BACK_OTHER, BACK_MISSING};

/* SQLite's own stat (its unix VFS's, which SQLITE_FCNTL_HAS_MOVED uses)
 * of a records.db failing with EIO while sqlite_stat_fails: a look by name
 * failing once (EIO, ESTALE), the next succeeding */
static int sqlite_stat_fails;
static sqlite3_syscall_ptr sqlite_stat_real;
static int sqlite_stat_fake(const char *path, struct stat *st)
{
    size_t n = strlen(path);
    if (T_GET(sqlite_stat_fails) && n >= 11 && !strcmp(path + n - 11, "/records.db")) {
        errno = EIO;
        return -1;
    }
    return ((int (*)(const char *, struct stat *))sqlite_stat_real)(path, st);
}

/* The stop's own look compares the name's identity with the open file's,
 * in one stat: SQLite's look failing once (taken as "moved" by SQLite)
 * does not make a records.db that is the open file "another file" (its
 * -wal set aside, a copy made); the stop is a normal one. */
static void t_service_stop_stat_glitch(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = dw_logged_world("127.1.121.3", &dlog);
    char path[700], msg[600], copy[900], wal[720];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(dw_put(w, "b", msg, sizeof msg), 0);
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    assert_non_null(vfs);
    sqlite_stat_real = vfs->xGetSystemCall(vfs, "stat");
    assert_non_null(sqlite_stat_real);
    assert_int_equal(vfs->xSetSystemCall(vfs, "stat", (sqlite3_syscall_ptr)sqlite_stat_fake),
                     SQLITE_OK);
    T_SET(sqlite_stat_fails, 1);
    dw_close(w);
    T_SET(sqlite_stat_fails, 0);
    assert_int_equal(vfs->xSetSystemCall(vfs, "stat", NULL), SQLITE_OK);
    assert_false(tu_log_has(&dlog, "stopped with records.db"));
    gone_saved(w->dir, copy, sizeof copy);
    assert_false(copy[0]);
    /* checkpointed: a -wal left is empty (SQLite's close, its own look at
     * the name failing too, leaves the -wal it would otherwise remove) */
    struct stat st;
    assert_true(stat(wal, &st) != 0 || st.st_size == 0);
    assert_int_equal(dw_count(path, "SELECT count(*) FROM records"), 2);
    tu_log_free(&dlog);
    dw_free(w);
    dw_host = "127.0.0.1";
}

/* The copy of a gone file with too little room for it is not written (it
 * would fill the file system at every retry): each try fails at once, said
 * once, with what it needs; once there is room the copy is written. The
 * database is made larger than the room left first. */
static void t_service_gone_copy_room(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = dw_logged_world("127.1.84.3", &dlog);
    char path[700], away[700], msg[600], copy[900], id[16], body[4097];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (int i = 0; i < 40; i++) { /* 40 records of 4 KiB: more than 64 KiB */
        snprintf(id, sizeof id, "big%02d", i);
        assert_int_equal(dw_put_body(w, id, body, msg, sizeof msg), 0);
    }
    __atomic_store_n(&room_looks, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&little_room, 1, __ATOMIC_SEQ_CST);
    T_SET(copy_tries, 0);
    assert_int_equal(rename(path, away), 0);
    const char *said_room = "no room for it: it needs about ";
    for (int i = 0; i < 200 && !tu_log_has(&dlog, said_room); i++)
        run_ms(&w->loop, 20);
    assert_true(tu_log_has(&dlog, said_room));
    assert_true(tu_log_has(&dlog, "bytes, 65536 are free"));
    /* tried again after 0.3, 0.6, 1.2 s, each failing before any copy */
    int tries = 0;
    for (int i = 0; i < 150; i++) {
        run_ms(&w->loop, 20);
        tries = log_count(&dlog, said_room);
    }
    assert_int_equal(tries, 1);
    assert_true(__atomic_load_n(&room_looks, __ATOMIC_SEQ_CST) >= 3);
    assert_int_equal(T_GET(copy_tries), 0);
    gone_saved(w->dir, copy, sizeof copy);
    assert_false(copy[0]);
    /* room made: the copy, without a stop */
    __atomic_store_n(&little_room, 0, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 400 && (gone_saved(w->dir, copy, sizeof copy), !copy[0]); i++)
        run_ms(&w->loop, 20);
    assert_true(copy[0]);
    assert_int_equal(dw_count(copy, "SELECT count(*) FROM records"), 40);
    assert_int_equal(rename(away, path), 0);
    dw_world_end(w, &dlog);
}

/* Another records.db put in place while a later open does its work (after
 * SQLite opened it and the service took its identity, before its check
 * ends): the name no longer leads to the file open, and the look finds it
 * so; the open one put back, as the reason says, is found back and writes
 * are taken. With WINDOW_NOID, the other file is put in place before the
 * identity could be taken: the look cannot tell which file the name leads
 * to and says to restart (not to put back a file it could not know). With
 * WINDOW_NOID_BACK, the file opened is put back meanwhile: the stop finds
 * the name leads to it and closes as usual (its -wal checkpointed and
 * removed, not kept, no word of another file). */
enum { WINDOW_ID, WINDOW_NOID, WINDOW_NOID_BACK };
static void open_window(int mode)
{
    int noid = mode != WINDOW_ID;
    char *home = tu_mkdtemp("dataopenwin");
    char path[700], fresh[700], other[700], keep[700], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    snprintf(fresh, sizeof fresh, "%s/records.new.db", home);
    snprintf(other, sizeof other, "%s/other.db", home);
    snprintf(keep, sizeof keep, "%s/keep.db", home);
    dw_not_a_db(path);
    dw_make_db(fresh);
    dw_make_db(other);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    tu_log dlog = {0};
    o.log = tu_log_sink;
    o.log_arg = &dlog;
    sipc_data *d = NULL;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    snprintf(replace_after_open, sizeof replace_after_open, "%s", other);
    if (mode != WINDOW_NOID)
        snprintf(keep_after_open, sizeof keep_after_open, "%s", keep);
    keep_at_once = mode == WINDOW_NOID_BACK;
    assert_int_equal(rename(fresh, path), 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    assert_int_equal(replace_after_open[0], '\0');
    keep_after_open[0] = '\0';
    keep_at_once = 0;
    const char *found = noid ? "the node cannot tell whether records.db in"
                            : "is another file than the one the node has open";
    for (int i = 0; i < 100 && !tu_log_has(&dlog, found); i++)
        run_ms(&loop, 20);
    assert_true(tu_log_has(&dlog, found));
    if (noid) {
        assert_true(tu_log_has(&dlog, "its name led to another file as it was opened, at its "
                                      "open): writes are refused (they could go into a file no "
                                      "name leads to); restart the node and writes resume"));
        assert_false(tu_log_has(&dlog, "is another file than the one the node has open"));
        if (mode == WINDOW_NOID_BACK)
            assert_int_equal(rename(keep, path), 0);
    } else {
        /* as the reason says: the open one put back */
        assert_int_equal(rename(keep, path), 0);
        const char *back = "names the file the node has open again";
        for (int i = 0; i < 200 && !tu_log_has(&dlog, back); i++)
            run_ms(&loop, 20);
        assert_true(tu_log_has(&dlog, back));
    }
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    if (mode == WINDOW_NOID_BACK) {
        char wal[720];
        assert_false(tu_log_has(&dlog, "stopped with records.db"));
        snprintf(wal, sizeof wal, "%s-wal", path);
        assert_int_not_equal(access(wal, F_OK), 0); /* removed by SQLite's close */
        assert_int_equal(dw_count(path, "SELECT count(*) FROM store_meta"), 1);
    }
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_log_free(&dlog);
    tu_rmdir(home);
    free(home);
}

/* state: the WINDOW_* case (main names each) */
static void t_open_window(void **state)
{
    open_window(*(const int *)*state);
}
static const int window_cases[] = {WINDOW_ID, WINDOW_NOID, WINDOW_NOID_BACK};

/* A database found damaged (here the host's verdict), then gone, then back:
 * writes are refused with the damage's reason again, not the gone text;
 * reads were served by the connection open on it. */
static void t_service_gone_damaged(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = dw_logged_world("127.1.84.3", &dlog);
    char path[700], away[700], msg[600];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(gone_get(w, "a"), 0);
    sipc_data_refuse_writes(w->d, "verdict of damage kept by the host");
    assert_int_equal(dw_put(w, "b", msg, sizeof msg), SIPC_DATA_STORAGE);
    assert_non_null(strstr(msg, "verdict of damage kept by the host"));
    assert_int_equal(rename(path, away), 0);
    for (int i = 0; i < 200 && !strstr(msg, "records.db is gone from"); i++) {
        run_ms(&w->loop, 20);
        dw_put(w, "c", msg, sizeof msg);
    }
    assert_non_null(strstr(msg, "records.db is gone from"));
    assert_true(tu_log_has(&dlog, "reads are served by the read connections open on it"));
    assert_int_equal(gone_get(w, "a"), 0);
    assert_int_equal(rename(away, path), 0);
    for (int i = 0; i < 200 && !tu_log_has(&dlog, "names the file the node has open again"); i++)
        run_ms(&w->loop, 20);
    assert_true(tu_log_has(&dlog, "names the file the node has open again"));
    assert_int_equal(dw_put(w, "d", msg, sizeof msg), SIPC_DATA_STORAGE);
    assert_non_null(strstr(msg, "verdict of damage kept by the host"));
    sipc_data_health wh, rh;
    sipc_data_health_get(w->d, &wh, &rh);
    assert_int_equal(wh.failing, 1);
    assert_non_null(strstr(wh.last_error, "verdict of damage kept by the host"));
    dw_world_end(w, &dlog);
}

/* records.db replaced while the only read connection, opened by the name
 * after that (on the other file), is lent out: the look cannot tell which
 * file that one reads, so the line does not promise that reads are served
 * (given back, it is closed). */
static void t_service_gone_lent_reader(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = dw_logged_world("127.1.106.2", &dlog);
    char path[700], other[700], msg[600], err[512];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(other, sizeof other, "%s/other.db", w->dir);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    dw_make_db(other);
    /* no look in flight (one starts only from the loop, which is this
     * thread): none can see the replace before the reader is lent */
    for (int i = 0; i < 100 && w->d->looking; i++)
        run_ms(&w->loop, 5);
    assert_false(w->d->looking);
    assert_int_equal(rename(other, path), 0);
    int rc = 0;
    data_store *held = data_reader_get(w->d, &rc, err, sizeof err);
    if (!held)
        fail_msg("reader: %s", err);
    assert_int_equal(data_store_has_moved(held), 0);
    const char *gone = "is another file than the one the node has open";
    for (int i = 0; i < 200 && !tu_log_has(&dlog, gone); i++)
        run_ms(&w->loop, 20);
    assert_true(tu_log_has(&dlog, gone));
    assert_false(tu_log_has(&dlog, "reads are served"));
    assert_true(tu_log_has(&dlog, "reads may fail too: no idle read connection was open on it"));
    data_reader_put(w->d, held);
    uv_mutex_lock(&w->d->mu);
    unsigned open = w->d->nopen;
    uv_mutex_unlock(&w->d->mu);
    assert_int_equal(open, 0);
    dw_world_end(w, &dlog);
}

/* Damage found while records.db is gone (here the host's verdict): writes
 * keep the gone reason (put it back, or its copy), with the damage added;
 * once back, the damage's reason alone. */
static void t_service_damaged_while_gone(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = dw_logged_world("127.1.106.3", &dlog);
    char path[700], away[700], msg[600];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(rename(path, away), 0);
    for (int i = 0; i < 200 && !strstr(msg, "records.db is gone from"); i++) {
        run_ms(&w->loop, 20);
        dw_put(w, "b", msg, sizeof msg);
    }
    assert_non_null(strstr(msg, "records.db is gone from"));
    sipc_data_refuse_writes(w->d, "verdict of damage kept by the host");
    assert_int_equal(dw_put(w, "c", msg, sizeof msg), SIPC_DATA_STORAGE);
    assert_non_null(strstr(msg, "records.db is gone from"));
    assert_non_null(strstr(msg, "It was found damaged too: verdict of damage kept by the host"));
    sipc_data_health wh, rh;
    sipc_data_health_get(w->d, &wh, &rh);
    assert_non_null(strstr(wh.last_error, "records.db is gone from"));
    assert_non_null(strstr(wh.last_error, "found damaged too"));
    assert_int_equal(rename(away, path), 0);
    for (int i = 0; i < 200 && !tu_log_has(&dlog, "names the file the node has open again"); i++)
        run_ms(&w->loop, 20);
    assert_int_equal(dw_put(w, "d", msg, sizeof msg), SIPC_DATA_STORAGE);
    assert_non_null(strstr(msg, "verdict of damage kept by the host"));
    assert_null(strstr(msg, "records.db is gone from"));
    dw_world_end(w, &dlog);
}

/* A reader opened by the name after records.db was replaced and before
 * the look saw it has the other file under the open one's -wal: once the
 * look sees it, that reader is closed (idle, or when given back), and only
 * those on the open file serve reads. */
static void t_service_gone_window(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    dw *w = dw_world("127.1.83.3", &o);
    char path[700], other[700], msg[600], err[512];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(other, sizeof other, "%s/other.db", w->dir);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(gone_get(w, "a"), 0); /* a reader on the open file */
    dw_make_db(other);
    char side[720];
    snprintf(side, sizeof side, "%s-wal", other);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", other);
    unlink(side);
    assert_int_equal(rename(other, path), 0);
    /* before the loop runs again no look can see it: every idle reader
     * lent, and then two opened by the name (one given back idle, one
     * kept lent until after the look) */
    data_store *held[16];
    unsigned n = 0;
    uv_mutex_lock(&w->d->mu);
    unsigned idle = w->d->nidle;
    uv_mutex_unlock(&w->d->mu);
    assert_true(idle >= 1 && idle + 2 <= w->d->o.readers);
    int rc = 0;
    for (unsigned i = 0; i < idle + 2; i++) {
        held[n] = data_reader_get(w->d, &rc, err, sizeof err);
        if (!held[n])
            fprintf(stderr, "reader: %s\n", err);
        assert_non_null(held[n]);
        n++;
    }
    assert_int_equal(data_store_has_moved(held[n - 1]), 0);
    for (unsigned i = 0; i + 1 < n; i++)
        data_reader_put(w->d, held[i]);
    int st = 0;
    for (int i = 0; i < 100 && (st = dw_put(w, "b", msg, sizeof msg)) == 0; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_int_equal(st, SIPC_DATA_STORAGE);
    data_reader_put(w->d, held[n - 1]);
    uv_mutex_lock(&w->d->mu);
    unsigned left = w->d->nidle, bad = 0;
    for (unsigned i = 0; i < w->d->nidle; i++)
        bad += data_store_has_moved(w->d->idle[i]) != 1;
    unsigned open = w->d->nopen;
    uv_mutex_unlock(&w->d->mu);
    assert_int_equal(bad, 0);
    assert_int_equal(left, idle);
    assert_int_equal(open, idle);
    /* reads: from the open file */
    assert_int_equal(gone_get(w, "a"), 0);
    dw_world_end(w, NULL);
}

/* A look that cannot tell whether records.db names the open file (stat
 * fails with ELOOP here; EACCES, EIO, ESTALE alike) keeps the state last
 * seen: gone stays gone, writes refused (taken as "back", they would go
 * into the file moved away). */
static void t_service_gone_unknown(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    dw *w = dw_world("127.1.82.3", &o);
    char path[700], away[700], msg[600];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    assert_int_equal(rename(path, away), 0);
    int st = 0, b = 0; /* "b" taken when a put came before the look */
    for (int i = 0; i < 100 && (st = dw_put(w, "b", msg, sizeof msg)) == 0; i++) {
        int never = 0;
        b = 1;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_int_equal(st, SIPC_DATA_STORAGE);
    /* records.db a link to itself: stat says ELOOP */
    assert_int_equal(symlink("records.db", path), 0);
    for (int i = 0; i < 10; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, DW_WATCH_MS * 2);
        assert_int_equal(dw_put(w, "c", msg, sizeof msg), SIPC_DATA_STORAGE);
    }
    sipc_data_open_state os;
    sipc_data_open_state_get(w->d, &os);
    assert_int_equal(os.open, 1);
    /* the open file put back: writes are taken again */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rename(away, path), 0);
    for (int i = 0; i < 100 && (st = dw_put(w, "d", msg, sizeof msg)) != 0; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_int_equal(st, 0);
    dw_close(w);
    assert_int_equal(dw_count(path, "SELECT count(*) FROM records"), 2 + b);
    dw_free(w);
    dw_host = "127.0.0.1";
}

/* While hold_commit: a COMMIT waits on its thread (commit_held says it
 * does) until hold_commit is cleared. */
static _Atomic int hold_commit, commit_held;
int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg)
{
    if (replace_path[0]) {
        replace_now(replace_path);
        replace_path[0] = '\0';
    }
    if (hold_commit && !strcmp(sql, "COMMIT")) {
        commit_held = 1;
        for (int i = 0; i < 1000 && hold_commit; i++)
            usleep(5000);
        commit_held = 0;
    }
    return __real_sqlite3_exec(db, sql, cb, arg, errmsg);
}

static void gone_put_async(dw *w, const char *id, dw_result *r)
{
    trec tr;
    Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
    m.record = mk(&tr, id, 5, "body", NULL);
    uint8_t buf[512];
    size_t n = protobuf_c_message_pack(&m.base, buf);
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_call(w->ch, SIPC_DATA_SERVICE, "put", buf, n, 10000, dw_on_result, r),
                     0);
}

/* Writes queued behind a running write job when records.db is found gone
 * are refused with STORAGE and the reason (none of them was committed):
 * run after the copy, they would go into the file no name leads to,
 * answered as written and lost with it. Every put answered as written is
 * in the copy. */
static void t_service_gone_queued(void **state)
{
    (void)state;
    sipc_data_options o;
    dw_test_options(&o, NULL);
    dw *w = dw_world("127.1.82.2", &o);
    char path[700], away[700], msg[600], copy[900];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    /* j1 runs, its commit held; q1 and q2 queue behind it */
    hold_commit = 1;
    dw_result r[3];
    gone_put_async(w, "j1", &r[0]);
    for (int i = 0; i < 400 && !commit_held; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT), usleep(5000);
    assert_true(commit_held);
    gone_put_async(w, "q1", &r[1]);
    gone_put_async(w, "q2", &r[2]);
    for (int i = 0; i < 20; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT), usleep(5000);
    assert_int_equal(rename(path, away), 0);
    sipc_data_health wh, rh;
    memset(&wh, 0, sizeof wh);
    uint64_t until = uv_now(&w->loop) + 5000;
    while (!wh.failing && uv_now(&w->loop) < until) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        usleep(5000);
        uv_update_time(&w->loop);
        sipc_data_health_get(w->d, &wh, &rh);
    }
    assert_int_equal(wh.failing, 1);
    hold_commit = 0;
    until = uv_now(&w->loop) + 10000;
    while (!(r[0].done && r[1].done && r[2].done) && uv_now(&w->loop) < until)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_true(r[0].done && r[1].done && r[2].done);
    /* j1 was running: committed before the copy */
    assert_int_equal(r[0].err, 0);
    assert_int_equal(r[0].status, 0);
    int ok = 0;
    for (int i = 1; i < 3; i++) {
        if (r[i].err == 0 && r[i].status == 0) {
            ok++;
        } else {
            assert_int_equal(r[i].status, SIPC_DATA_STORAGE);
            assert_non_null(strstr(r[i].message, "records.db is gone from"));
        }
    }
    for (int i = 0; i < 3; i++)
        dw_result_free(&r[i]);
    for (int i = 0; i < 200 && (gone_saved(w->dir, copy, sizeof copy), !copy[0]); i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_true(copy[0]);
    /* every put answered as written ("a", j1, and any queued one taken) */
    assert_int_equal(dw_count(copy, "SELECT count(*) FROM records"), 2 + ok);
    assert_int_equal(ok, 0);
    dw_world_end(w, NULL);
}

/* The library's version as data_store.c sees it: fake_version when set. */
static int fake_version;
int __real_sqlite3_libversion_number(void);
int __wrap_sqlite3_libversion_number(void);
int __wrap_sqlite3_libversion_number(void)
{
    return fake_version ? fake_version : __real_sqlite3_libversion_number();
}

/* An SQLite older than 3.31 would mask SQLITE_OPEN_NOFOLLOW off and follow
 * links: refused, nothing made. */
static void t_sqlite_too_old(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("dataold");
    char p[600], err[512] = "";
    snprintf(p, sizeof p, "%s/records.db", home);
    data_store *s = NULL;
    fake_version = 3030001;
    int rc = data_store_open(&s, p, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, sizeof err);
    fake_version = 0;
    assert_int_equal(rc, SIPC_ECONFIG);
    assert_null(s);
    assert_non_null(strstr(err, "SQLite 3.30.1 is too old: the data service needs 3.31.0"));
    struct stat st;
    assert_int_equal(lstat(p, &st), -1);
    dw_make_db(p);
    tu_rmdir(home);
    free(home);
}

/* Which links the data service follows: a linked data directory (the
 * database on another disk) is opened; a records.db, -wal or -shm that is
 * a link is refused, and so is a directory other accounts can write
 * (unless sticky) or another account owns (but root or the overflow uid),
 * and a file of the database another account owns or may write; nothing
 * is written where a refused link points. */
static void t_db_dir_links(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datalinks");
    char real[600], dir[600], victim[600], p[700], err[1024] = "";
    snprintf(real, sizeof real, "%s/other-disk", home);
    snprintf(dir, sizeof dir, "%s/data", home);
    snprintf(victim, sizeof victim, "%s/victim", home);
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(symlink(real, dir), 0);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data *d = NULL;
    int rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    snprintf(p, sizeof p, "%s/records.db", real);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* the database is where the link points */

    /* a file of the database that is a link: refused, its target untouched */
    static const char *const files[] = {"records.db", "records.db-wal", "records.db-shm"};
    char moved[700];
    snprintf(moved, sizeof moved, "%s/records.db.moved", home);
    assert_int_equal(rename(p, moved), 0);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *fp = fopen(victim, "w");
        assert_non_null(fp);
        fputs("precious\n", fp);
        fclose(fp);
        snprintf(p, sizeof p, "%s/%s", real, files[i]);
        unlink(p);
        assert_int_equal(symlink(victim, p), 0);
        d = NULL;
        assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), SIPC_ECONFIG);
        assert_null(d);
        char want[2000];
        /* where it points is named, as tlstool names a link's target */
        snprintf(want, sizeof want, "%s/%s is a symbolic link (to %s)", dir, files[i], victim);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, "link the data directory instead"));
        assert_int_equal(stat(victim, &st), 0);
        assert_int_equal(st.st_size, 9);
        assert_int_equal(unlink(p), 0);
    }
    /* one that cannot be made (under a file): its errno, which a host tells
     * from SIPC_ECONFIG, a directory there but unfit (sipcd: 73, not 78) */
    snprintf(p, sizeof p, "%s/sub", victim);
    assert_int_equal(sipc_data_open(&d, &loop, p, NULL, err, sizeof err), UV_ENOTDIR);
    assert_non_null(strstr(err, "cannot create directory"));
    /* a directory others may write, unless sticky */
    assert_int_equal(chmod(real, 0777), 0);
    assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "can be written by other accounts (mode 0777)"));
    char fix[800];
    snprintf(fix, sizeof fix, "`chmod go-w %s` as its owner (uid %u)", real, (unsigned)geteuid());
    assert_non_null(strstr(err, fix));
    assert_int_equal(chmod(real, 01777), 0);
    closed = 0;
    assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), 0);
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    assert_int_equal(chmod(real, 0700), 0);
    /* a local disk, no user namespace: the overflow uid is only nobody */
    struct statfs sf;
    assert_int_equal(statfs(real, &sf), 0);
    char map[200] = "";
    FILE *mf = fopen("/proc/self/uid_map", "r");
    if (mf) {
        size_t n = fread(map, 1, sizeof map - 1, mf);
        map[n] = '\0';
        fclose(mf);
    }
    int unmapped = sf.f_type != NFS_SUPER_MAGIC && sf.f_type != FUSE_SUPER_MAGIC &&
                   strstr(map, "4294967295") && !strchr(strchr(map, '\n') + 1, '\n');
    if (geteuid() == 0) {
        snprintf(p, sizeof p, "%s/records.db", real);
        assert_int_equal(rename(moved, p), 0);
    }
    if (geteuid() == 0 && unmapped) {
        /* the overflow uid (NFS root_squash, id mapping, rootless containers
         * show this account's directory and files so), on a local disk
         * without id mapping: the real nobody's, refused */
        assert_int_equal(chown(real, 65534, 65534), 0);
        assert_int_equal(chown(p, 65534, 65534), 0);
        rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
        if (rc != SIPC_ECONFIG)
            fprintf(stderr, "open: %s\n", err);
        assert_int_equal(rc, SIPC_ECONFIG);
        assert_non_null(strstr(err, "belongs to uid 65534, another account (the overflow uid"));
        assert_int_equal(chown(p, 0, 0), 0);
    }
    if (geteuid() == 0) {
        /* any other account's directory: refused, with a chown that works */
        assert_int_equal(chown(real, 4321, 4321), 0);
        assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), SIPC_ECONFIG);
        assert_non_null(strstr(err, "belongs to uid 4321, another account"));
        snprintf(fix, sizeof fix, "`chown 0 %s` as root", real);
        assert_non_null(strstr(err, fix));
        assert_int_equal(chown(real, 0, 0), 0);

        /* a -wal, -shm or hot -journal another account planted in a sticky
         * directory while the service was stopped: refused, never replayed */
        assert_int_equal(chmod(real, 01777), 0);
        static const char *const planted[] = {"records.db-wal", "records.db-shm",
                                              "records.db-journal"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s/%s", real, planted[i]);
            unlink(p); /* the empty -journal an earlier open claimed */
            int f = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
            assert_true(f >= 0);
            close(f);
            assert_int_equal(chown(p, 4321, 4321), 0);
            assert_int_equal(chmod(p, 0644), 0);
            assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err),
                             SIPC_ECONFIG);
            char want[900];
            snprintf(want, sizeof want, "%s/%s belongs to uid 4321, not to this account", dir,
                     planted[i]);
            if (!strstr(err, want))
                fprintf(stderr, "err: %s\n", err);
            assert_non_null(strstr(err, want));
            assert_int_equal(unlink(p), 0);
        }
        /* nor records.db itself, on a first start */
        snprintf(p, sizeof p, "%s/records.db", real);
        assert_int_equal(rename(p, moved), 0);
        int f = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(f >= 0);
        close(f);
        assert_int_equal(chown(p, 4321, 4321), 0);
        assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), SIPC_ECONFIG);
        assert_non_null(strstr(err, "records.db belongs to uid 4321"));
        assert_int_equal(unlink(p), 0);
        assert_int_equal(rename(moved, p), 0);
        /* one of ours others may write: refused */
        assert_int_equal(chmod(real, 0700), 0);
        assert_int_equal(chmod(p, 0666), 0);
        assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), SIPC_ECONFIG);
        snprintf(fix, sizeof fix, "records.db can be written by other accounts (mode 0666)");
        assert_non_null(strstr(err, fix));
        assert_int_equal(chmod(p, 0644), 0);
    }
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    free(home);
}

/* A new database in a sticky directory: the names taken for it before
 * SQLite opens stay the ones SQLite uses. SQLite turns an empty records.db
 * into a WAL database through a -journal it then deletes, and would make
 * the names again later, open to whoever made them in between. */
static void t_db_fresh_sticky(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datafresh");
    char dir[600], name[700], witness[2][700], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/shared", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 01777), 0);
    static const char *const taken[] = {"records.db-wal", "records.db-journal"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, taken[i]);
        snprintf(witness[i], sizeof witness[i], "%s/witness%zu", home, i);
        int f = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(f >= 0);
        close(f);
        assert_int_equal(link(name, witness[i]), 0);
    }
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data *d = NULL;
    int rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < 2; i++) {
        struct stat a, b;
        snprintf(name, sizeof name, "%s/%s", dir, taken[i]);
        if (lstat(name, &a) != 0)
            fprintf(stderr, "%s was deleted\n", taken[i]);
        assert_int_equal(lstat(name, &a), 0);
        assert_int_equal(lstat(witness[i], &b), 0);
        assert_int_equal(a.st_ino, b.st_ino); /* never deleted and made again */
    }
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    /* nothing left of the private directory it was made in */
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    struct dirent *e;
    while ((e = readdir(dd)))
        assert_null(strstr(e->d_name, ".records.db-new"));
    closedir(dd);
    /* and it opens again, with what it holds */
    d = NULL;
    closed = 0;
    assert_int_equal(sipc_data_open(&d, &loop, dir, NULL, err, sizeof err), 0);
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    unlink(witness[0]);
    unlink(witness[1]);
    tu_rmdir(home);
    free(home);
}

/* A -wal with committed records of a records.db that is gone, left in
 * dir (a database of one table "other" made and its -wal kept). */
static void leave_wal(const char *dir)
{
    char path[700], wal[720], keep[720];
    snprintf(path, sizeof path, "%s/records.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(keep, sizeof keep, "%s/kept-wal", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                                  "CREATE TABLE other(x); INSERT INTO other VALUES(1);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(link(wal, keep), 0); /* the close removes the -wal's name */
    sqlite3_close(db);
    unlink(wal);
    char shm[720];
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(shm);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rename(keep, wal), 0);
    struct stat st;
    assert_int_equal(lstat(wal, &st), 0);
    assert_true(st.st_size > 0);
}

/* The first records.db-wal.set-aside-* in dir, its size; -1 for none. */
static long long set_aside_size(const char *dir)
{
    long long size = -1;
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd)))
        if (!strncmp(e->d_name, "records.db-wal.set-aside-", 25)) {
            char p[1000];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (lstat(p, &st) == 0)
                size = st.st_size;
        }
    if (dd)
        closedir(dd);
    return size;
}

/* In a sticky (others-writable) directory, a -wal left beside a missing
 * records.db is set aside before the names are claimed and the new
 * database is made: never replayed into the new file. */
static void t_db_sticky_leftover_wal(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datastickywal");
    char dir[600], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/shared", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 01777), 0);
    leave_wal(dir);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data *d = NULL;
    int rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    assert_true(set_aside_size(dir) > 0);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    char path[700];
    snprintf(path, sizeof path, "%s/records.db", dir);
    assert_int_equal(dw_count(path, "SELECT count(*) FROM sqlite_master WHERE name='other'"), 0);
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    free(home);
}

/* renameat2 refused while fail_rename (EPERM, as for a file chattr +a). */
static int fail_rename;
int __real_renameat2(int ofd, const char *from, int nfd, const char *to, unsigned flags);
int __wrap_renameat2(int ofd, const char *from, int nfd, const char *to, unsigned flags);
int __wrap_renameat2(int ofd, const char *from, int nfd, const char *to, unsigned flags)
{
    if (T_GET(fail_rename) && strstr(from, "records.db-wal")) {
        errno = EPERM;
        return -1;
    }
    if (strstr(from, ".incomplete")) {
        T_INC(copy_tries);
        if (T_GET(fail_copy)) {
            errno = ENOSPC;
            return -1;
        }
    }
    return __real_renameat2(ofd, from, nfd, to, flags);
}

/* A -wal left beside a missing records.db that cannot be set aside: no
 * database is made (SQLite would discard that -wal beside it); the service
 * stays up, not open, saying so; the -wal moved away, it makes the
 * database. */
static void t_db_leftover_wal_kept(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datawalkept");
    char dir[600], err[1024] = "", path[700], wal[720];
    snprintf(dir, sizeof dir, "%s/data", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    leave_wal(dir);
    snprintf(path, sizeof path, "%s/records.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat before, st;
    assert_int_equal(lstat(wal, &before), 0);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    sipc_data *d = NULL;
    T_SET(fail_rename, 1);
    int rc = sipc_data_open(&d, &loop, dir, &o, err, sizeof err);
    T_SET(fail_rename, 0);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);
    assert_non_null(strstr(os.reason, "no new database is made over it"));
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(lstat(wal, &st), 0);
    assert_int_equal(st.st_size, before.st_size);
    /* a later attempt makes none either while it is there */
    int never = 0;
    tu_run_until(&loop, &never, T_ATTEMPT_MS * 2);
    assert_int_equal(opened, 0);
    assert_int_equal(lstat(wal, &st), 0);
    assert_int_equal(st.st_size, before.st_size);
    /* moved away: made */
    char away[720];
    snprintf(away, sizeof away, "%s/old-wal", home);
    assert_int_equal(rename(wal, away), 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}

/* Runs fn(path, err, errlen) in a child, where the file size limit it sets
 * stays, on DIR/records.db in a new directory: its exit status (-1 when it
 * did not exit), and the text it left in err in got. */
static int in_child(const char *name, int (*fn)(const char *path, char *err, size_t errlen),
                    char *got, size_t gotlen)
{
    char *dir = tu_mkdtemp(name);
    char path[600];
    snprintf(path, sizeof path, "%s/records.db", dir);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        char err[1024] = "";
        /* past a limit a write fails with EFBIG instead of killing us */
        signal(SIGXFSZ, SIG_IGN);
        int rc = fn(path, err, sizeof err);
        if (write(p[1], err, strlen(err)) < 0)
            rc = 5;
        _exit(rc);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    got[0] = '\0';
    while (n < gotlen - 1 && (r = read(p[0], got + n, gotlen - 1 - n)) > 0)
        n += (size_t)r;
    got[n] = '\0';
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    tu_rmdir(dir);
    free(dir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Small records committed under a file size limit (`ulimit -f 400`): the
 * COMMIT that meets it fails with SQLite's bare "disk I/O error" and errno
 * gone by then; the failure must name the limit and its fix, and be EFBIG
 * (the data service waits for room under the limit before it tries again).
 * The limit is set in a child only, so no path of this test has to restore
 * it. */
static int fsize_commit(const char *path, char *err, size_t errlen)
{
    int rc = 1;
    data_store *s;
    struct rlimit rl = {400 * 1024, 400 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
        data_store_open(&s, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, errlen))
        return 1;
    char body[131];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (int b = 0; b < 2000 && rc == 1; b++) { /* 400 KiB: at most 300 or so */
        if (data_store_begin(s, err, errlen))
            return 2;
        for (int i = 0; i < 20 && rc == 1; i++) {
            char id[32];
            trec t;
            Sipc__Data__PutResult r;
            snprintf(id, sizeof id, "r%05d-%02d", b, i);
            if (data_store_put(s, mk(&t, id, 1764000000000 + b, body, NULL), &r, err, errlen))
                rc = 3; /* not the COMMIT: the test's premise is off */
        }
        if (rc == 1) {
            int c = data_store_commit(s, err, errlen);
            if (c)
                rc = c == UV_EFBIG ? 0 : 4;
        }
    }
    return rc;
}

static void t_fsize_limit_named(void **state)
{
    (void)state;
    char got[1024];
    int rc = in_child("fsize", fsize_commit, got, sizeof got);
    if (rc != 0 ||
        !strstr(got, ": commit: disk I/O error (File too large: the database's files reached "
                     "this process's file size limit of 409600 bytes (`ulimit -f`, systemd's "
                     "LimitFSIZE=): raise or remove it and restart sipcd)"))
        fail_msg("child exit %d: %s", rc, got);
}

/* A file size limit of 0 (`ulimit -f 0`) is a limit too, the strictest:
 * the first write after it was set fails as past it, and says so. In a
 * child, as above. */
static int fsize_zero(const char *path, char *err, size_t errlen)
{
    data_store *s;
    trec t;
    Sipc__Data__PutResult r;
    struct rlimit rl = {0, 0};
    if (data_store_open(&s, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, errlen) ||
        data_store_put(s, mk(&t, "r0", 1764000000000, "body", NULL), &r, err, errlen))
        return 1;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || data_store_begin(s, err, errlen))
        return 2;
    int c = data_store_put(s, mk(&t, "r1", 1764000000001, "body", NULL), &r, err, errlen);
    if (c == 0)
        c = data_store_commit(s, err, errlen);
    return c == UV_EFBIG ? 0 : 3;
}

static void t_fsize_limit_zero(void **state)
{
    (void)state;
    char got[1024];
    int rc = in_child("fsizezero", fsize_zero, got, sizeof got);
    if (rc != 0 || !strstr(got, "file size limit of 0 bytes (`ulimit -f`"))
        fail_msg("child exit %d: %s", rc, got);
}

/* A database that cannot be opened for want of a descriptor says so, with
 * what holds them, instead of a bare "Too many open files" that sends the
 * operator to the disk. In a child, whose open-file limit it lowers and
 * fills. */
static int fds_used_up(const char *path, char *err, size_t errlen)
{
    struct rlimit rl = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    for (int i = 0; i < 64 && dup(2) >= 0; i++) {
    }
    data_store *s;
    int c = data_store_open(&s, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, errlen);
    return c == UV_EMFILE ? 0 : 2;
}

static void t_fds_used_up_named(void **state)
{
    (void)state;
    char got[1024];
    int rc = in_child("emfile", fds_used_up, got, sizeof got);
    if (rc != 0 || !strstr(got, "(Too many open files: the process has run out of file "
                                "descriptors (open-file limit 64; 0 connections open)"))
        fail_msg("child exit %d: %s", rc, got);
}

/* A read that fails beside a file at the file size limit is not the limit:
 * only a failed write can be cut short by it. Committed frames are cut off
 * the -wal behind SQLite's back, so a reader meets a short read (errno 0)
 * while records.db stands within a write of a limit lowered to it; the
 * failure must not be named as the limit. In a child, as above. */
static int fsize_read(const char *path, char *err, size_t errlen)
{
    char wal[640];
    snprintf(wal, sizeof wal, "%s-wal", path);
    data_store *w, *r = NULL;
    trec t;
    Sipc__Data__PutResult res;
    struct rlimit rl = {32768, 32768};
    if (data_store_open(&w, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, errlen) ||
        data_store_put(w, mk(&t, "r1", 1764000000000, "body", NULL), &res, err, errlen))
        return 2;
    if (truncate(wal, 32) != 0 || setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 3;
    int c = data_store_open(&r, path, DATA_STORE_READER, SIPC_DATA_SYNC_NORMAL, err, errlen);
    /* 4: no short read, the premise is off. SQLite's errno here is a stale
     * one from its own probes, whatever it is, not EFBIG. */
    return c == 0 ? 4 : c == UV_EFBIG ? 6 : 0;
}

static void t_fsize_limit_not_read(void **state)
{
    (void)state;
    char got[1024];
    int rc = in_child("fsizerd", fsize_read, got, sizeof got);
    if (rc != 0 || strstr(got, "file size limit"))
        fail_msg("child exit %d: %s", rc, got);
}

/* An empty -wal (and its -shm) beside a missing records.db, as a stop's
 * checkpoint leaves them after records.db was removed: it holds nothing,
 * so it is neither set aside nor said to hold committed records. */
static void t_db_empty_wal_kept(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("dataemptywal");
    char dir[600], err[1024] = "", side[720];
    snprintf(dir, sizeof dir, "%s/data", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    static const char *const sfx[] = {"-wal", "-shm"};
    for (int k = 0; k < 2; k++) {
        snprintf(side, sizeof side, "%s/records.db%s", dir, sfx[k]);
        FILE *fp = fopen(side, "w");
        assert_non_null(fp);
        fclose(fp);
    }
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data *d = NULL;
    int rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 1);
    assert_int_equal(os.made_new, 1);
    assert_string_equal(os.wal_set_aside, "");
    assert_int_equal(set_aside_size(dir), -1);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 5000));
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    struct dirent *e;
    while ((e = readdir(dd)))
        assert_null(strstr(e->d_name, "set-aside"));
    closedir(dd);
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    free(home);
}

/* The data directory is resolved once, at open: a reader opened later, after
 * HOME/data was re-pointed, still reads the database of the directory that
 * was checked, and nothing is made where the link now points. */
static void t_db_dir_repointed(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("datarepoint");
    char real[600], other[600], dir[600], p[700], err[1024] = "";
    snprintf(real, sizeof real, "%s/disk1", home);
    snprintf(other, sizeof other, "%s/disk2", home);
    snprintf(dir, sizeof dir, "%s/data", home);
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(symlink(real, dir), 0);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data *d = NULL;
    int rc = sipc_data_open(&d, &loop, dir, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    data_store *w;
    snprintf(p, sizeof p, "%s/records.db", real);
    assert_int_equal(
        data_store_open(&w, p, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, sizeof err), 0);
    trec t[1];
    Sipc__Data__Record *recs[] = {mk(&t[0], "r1", 10, "kept where checked", "k", "v", NULL)};
    put_all(w, recs, 1, NULL);
    data_store_close(w);

    assert_int_equal(unlink(dir), 0);
    assert_int_equal(symlink(other, dir), 0);
    sipc_data_query q = {.match = "kept"};
    sres r = {0};
    assert_int_equal(sipc_data_search(d, &q, on_search, &r, err, sizeof err), 0);
    assert_true(tu_run_until(&loop, &r.done, 5000));
    if (r.err != 0)
        fprintf(stderr, "search: %s\n", r.message);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.ids[0], "r1");
    snprintf(p, sizeof p, "%s/records.db", other);
    struct stat st;
    assert_int_not_equal(lstat(p, &st), 0);

    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}

/* The stop-time checkpoint has a limit: waiting for another connection's
 * reader ends at it (UV_EBUSY), and so does copying a log too large for it
 * (UV_ETIMEDOUT): what is not copied stays in the -wal, which the close
 * leaves alone, and the next open has every committed row. */
static void t_checkpoint_limit(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "PRAGMA wal_autocheckpoint=0; CREATE TABLE big(b BLOB);"
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                  "WHERE i < 200) INSERT INTO big SELECT randomblob(4000) FROM n",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* a reader on an old snapshot: the log cannot be emptied */
    sqlite3 *rd = NULL;
    assert_int_equal(sqlite3_open(f->path, &rd), SQLITE_OK);
    assert_int_equal(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM big", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "INSERT INTO big VALUES (randomblob(4000))", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    uint64_t t0 = uv_hrtime();
    assert_int_equal(data_store_checkpoint(f->w, 300, err, sizeof err), UV_EBUSY);
    uint64_t ms = (uv_hrtime() - t0) / 1000000u;
    assert_true(ms >= 100 && ms < 2000);
    sqlite3_close(rd);
    /* 64 MB of log: not copied in 5 ms */
    assert_int_equal(sqlite3_exec(raw,
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                  "WHERE i < 16000) INSERT INTO big SELECT randomblob(4000) FROM n",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(data_store_checkpoint(f->w, 5, err, sizeof err), UV_ETIMEDOUT);
    assert_non_null(strstr(err, "checkpoint: cut short after 5 ms"));
    data_store_close(f->w);
    f->w = NULL;
    char wal[700];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    struct stat st;
    assert_int_equal(stat(wal, &st), 0);
    assert_true(st.st_size > 0);
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM big", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 200 + 1 + 16000);
    sqlite3_finalize(q);
    sqlite3_close(raw);
}

int main(void)
{
    main_thread = pthread_self();
    /* three lanes of about 10 s side by side (tests/support/lanes.h): the
     * cases mostly wait (timers, retries, syncs), each in a home of its own */
    const struct CMUnitTest first[] = {
        cmocka_unit_test(t_utf8),
        cmocka_unit_test(t_validate_record),
        cmocka_unit_test_setup_teardown(t_put_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(t_binary_body, setup, teardown),
        cmocka_unit_test_setup_teardown(t_idempotent_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(t_groups_are_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(t_list_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(t_search, setup, teardown),
        cmocka_unit_test_setup_teardown(t_search_content, setup, teardown),
        cmocka_unit_test_setup_teardown(t_reader_and_schema, setup, teardown),
        cmocka_unit_test(t_service_open_and_search),
        cmocka_unit_test(t_writes_slow_threshold),
        cmocka_unit_test(t_service_retry_open),
        cmocka_unit_test(t_service_stale_wal),
        cmocka_unit_test(t_service_first_create),
        cmocka_unit_test(t_service_start_timed),
        cmocka_unit_test(t_service_erofs_timed),
        cmocka_unit_test(t_service_shm_fixed),
        cmocka_unit_test(t_service_timed_quiet),
    };
    const struct CMUnitTest second[] = {
        cmocka_unit_test(t_service_reopen_fails),
        cmocka_unit_test(t_service_reopen_replaced),
        cmocka_unit_test(t_service_reopen_replaced_made),
        cmocka_unit_test(t_service_gone),
        {"t_service_stop_unseen_gone", t_stop_unseen, NULL, NULL, (void *)&unseen_cases[0]},
        {"t_service_stop_unseen_replaced", t_stop_unseen, NULL, NULL, (void *)&unseen_cases[1]},
        {"t_service_stop_unreadable", t_stop_unseen, NULL, NULL, (void *)&unseen_cases[2]},
        {"t_service_stop_back_other", t_stop_back, NULL, NULL, (void *)&back_cases[0]},
        {"t_service_stop_back_missing", t_stop_back, NULL, NULL, (void *)&back_cases[1]},
        cmocka_unit_test(t_service_stop_stat_glitch),
        cmocka_unit_test(t_service_gone_queued),
        cmocka_unit_test(t_service_gone_window),
        cmocka_unit_test(t_service_gone_copy_retry),
        cmocka_unit_test(t_service_gone_copy_room),
    };
    const struct CMUnitTest third[] = {
        cmocka_unit_test(t_service_gone_damaged),
        cmocka_unit_test(t_service_gone_lent_reader),
        cmocka_unit_test(t_service_damaged_while_gone),
        {"t_service_open_window", t_open_window, NULL, NULL, (void *)&window_cases[0]},
        {"t_service_open_noid", t_open_window, NULL, NULL, (void *)&window_cases[1]},
        {"t_service_open_noid_back", t_open_window, NULL, NULL, (void *)&window_cases[2]},
        cmocka_unit_test(t_service_gone_unknown),
        cmocka_unit_test(t_service_reopen_once),
        cmocka_unit_test(t_db_dir_links),
        cmocka_unit_test(t_db_fresh_sticky),
        cmocka_unit_test(t_db_sticky_leftover_wal),
        cmocka_unit_test(t_db_leftover_wal_kept),
        cmocka_unit_test(t_db_empty_wal_kept),
        cmocka_unit_test(t_fsize_limit_named),
        cmocka_unit_test(t_fsize_limit_not_read),
        cmocka_unit_test(t_fsize_limit_zero),
        cmocka_unit_test(t_fds_used_up_named),
        cmocka_unit_test(t_sqlite_too_old),
        cmocka_unit_test(t_db_dir_repointed),
        cmocka_unit_test_setup_teardown(t_checkpoint_limit, setup, teardown),
    };
    const tu_lane lanes[] = {
        TU_LANE("data store 1/3", first, NULL),
        TU_LANE("data store 2/3", second, NULL),
        TU_LANE("data store 3/3", third, NULL),
    };
    return tu_run_lanes(lanes, sizeof lanes / sizeof lanes[0]) ? 1 : 0;
}
