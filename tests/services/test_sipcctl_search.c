/* test_sipcctl_search.c - `sipcctl search` against three in-process nodes
 * (their loop runs on a thread while the real sipcctl program runs): the
 * table, the JSON shape (attributes as object or pairs, base64 bodies, RFC
 * 3339 times), filters and limits, strict time parsing, a bad query, and a
 * stopped node: PARTIAL named with its reason and exit code 3. Plus the
 * RFC 3339 helpers themselves. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "search_test_support.h"
#include "search_time.h"

/* ------------------------------------------------------------ RFC 3339 */

static void t_time(void **state)
{
    (void)state;
    char err[200];
    int64_t ms;
    static const struct {
        const char *s;
        int64_t ms;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-11-23T10:00:00Z", 1795428000000},
        {"2026-11-23t10:00:00.5z", 1795428000500},
        {"2024-02-29T23:59:59.999Z", 1709251199999},
        {"9999-12-31T23:59:59.999Z", 253402300799999},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (search_time_parse(good[i].s, &ms, err, sizeof err) != 0)
            fail_msg("%s: %s", good[i].s, err);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *bad[] = {
        "2026-11-23",           "2026-11-23 10:00:00Z",     "2026-11-23T10:00:00",
        "2026-11-23T10:00:00+01:00", "2026-02-29T10:00:00Z", "2026-13-01T00:00:00Z",
        "2026-11-23T24:00:00Z", "2026-11-23T10:00:60Z",     "1969-12-31T23:59:59Z",
        "2026-11-23T10:00:00.1234Z", "2026-11-23T10:00:00.Z", "2026-11-23T10:00:00Zx",
        "+2026-11-23T10:00:00Z", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (search_time_parse(bad[i], &ms, err, sizeof err) != SIPC_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(err[0] != '\0');
    }
    char out[32];
    search_time_format(1795428000500, out, sizeof out);
    assert_string_equal(out, "2026-11-23T10:00:00.500Z");
    search_time_format(0, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    search_time_format(253402300799999, out, sizeof out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
}

/* ------------------------------------------------------------- sipcctl */

typedef struct cluster {
    sw_world *w;
    char *home; /* sipcctl's home: plaintext client of cluster "test" */
    uv_thread_t thread;
    uv_async_t stop;
} cluster;

static void on_stop(uv_async_t *a)
{
    uv_close((uv_handle_t *)a, NULL);
    uv_stop(a->loop);
}

static void run_loop(void *arg)
{
    cluster *c = arg;
    uv_run(&c->w->loop, UV_RUN_DEFAULT);
}

/* The nodes serve on a thread while sipcctl runs. */
static void serve(cluster *c)
{
    assert_int_equal(uv_async_init(&c->w->loop, &c->stop, on_stop), 0);
    assert_int_equal(uv_thread_create(&c->thread, run_loop, c), 0);
}

static void unserve(cluster *c)
{
    uv_async_send(&c->stop);
    uv_thread_join(&c->thread);
}

/* Runs sipcctl with the cluster's home and the arguments (already quoted
 * for the shell); stdout into out, stderr into err. Returns the exit code. */
static int sipcctl(cluster *c, char *out, size_t outlen, char *err, size_t errlen,
                   const char *args)
{
    const char *bin = getenv("SIPC_TEST_BIN");
    char errfile[700], cmd[2048];
    snprintf(errfile, sizeof errfile, "%s/stderr", c->home);
    snprintf(cmd, sizeof cmd, "'%s/sipcctl' --home '%s' --node 127.0.0.1:%d %s 2>'%s'",
             bin ? bin : ".", c->home, c->w->n[0].port, args, errfile);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    FILE *e = fopen(errfile, "r");
    n = e ? fread(err, 1, errlen - 1, e) : 0;
    err[n] = '\0';
    if (e)
        fclose(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static cluster *cluster_new(void)
{
    cluster *c = calloc(1, sizeof *c);
    c->w = sw_new(SIPC_TLS_OFF, ""); /* plaintext: no pair */
    sw_put_records(c->w);
    /* ids longer than the table's ID column: one of two-byte characters,
     * one with a C1 control where the cut falls */
    static char wide[100], c1[60];
    for (int i = 0; i < 45; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    snprintf(c1, sizeof c1, "%s\xc2\x9b%s", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             "yyyyyyyyyy");
    trec t[3];
    Sipc__Data__Record *more[] = {
        mk(&t[0], "bin", 8000, "\xff\xfe\x01", "kind", "binary", NULL),
        mk(&t[1], wide, 9000, "colwidth wide", "kind", "wide", NULL),
        mk(&t[2], c1, 9500, "colwidth c1", "kind", "wide", NULL),
    };
    sw_put(c->w, 0, more, 3);
    c->home = tu_mkdtemp("ctlhome");
    char path[700];
    snprintf(path, sizeof path, "%s/sipc.conf", c->home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[node]\nid = ctl\naddress = 127.0.0.1\n[cluster]\nname = test\n");
    fclose(f);
    return c;
}

static void cluster_free(cluster *c)
{
    sw_free(c->w);
    tu_rmdir(c->home);
    free(c->home);
    free(c);
}

/* The keys of object o, sorted, comma-separated. */
static const char *keys(json_t *o)
{
    static char buf[300];
    const char *k[16];
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (n < 16)
            k[n++] = key;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(k[j - 1], k[j]) > 0; j--) {
            const char *x = k[j];
            k[j] = k[j - 1];
            k[j - 1] = x;
        }
    size_t w = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", i ? "," : "", k[i]);
    return buf;
}

static void t_sipcctl(void **state)
{
    (void)state;
    cluster *c = cluster_new();
    serve(c);
    static char out[65536], err[4096];

    /* the table */
    int rc = sipcctl(c, out, sizeof out, err, sizeof err, "search checkout");
    if (rc != 0)
        fail_msg("exit %d: %s%s", rc, out, err);
    assert_non_null(strstr(out, "NODE"));
    assert_non_null(strstr(out, "n3    1970-01-01T00:00:07.000Z  c3"));
    assert_non_null(strstr(out, "checkout ok\n")); /* b1's first line only */
    assert_null(strstr(out, "second line"));
    assert_non_null(strstr(out, "5 hits from 3 of 3 nodes\n"));
    assert_null(strstr(out, "PARTIAL"));

    /* JSON: exactly the documented keys; attributes an object, or pairs
     * when a key repeats; times in RFC 3339 UTC */
    rc = sipcctl(c, out, sizeof out, err, sizeof err,
                 "search checkout --json --attr browser=firefox --limit 2");
    assert_int_equal(rc, 0);
    json_error_t je;
    json_t *root = json_loads(out, 0, &je);
    if (!root)
        fail_msg("not JSON (%s): %s", je.text, out);
    assert_string_equal(keys(root), "hits,nodes_missing,partial");
    assert_true(json_is_false(json_object_get(root, "partial")));
    assert_int_equal(json_array_size(json_object_get(root, "nodes_missing")), 0);
    json_t *hits = json_object_get(root, "hits");
    assert_int_equal(json_array_size(hits), 2);
    json_t *h0 = json_array_get(hits, 0), *h1 = json_array_get(hits, 1);
    assert_string_equal(keys(h0), "attributes,body,id,node,rank,timestamp");
    assert_string_equal(json_string_value(json_object_get(h0, "id")), "c3");
    assert_string_equal(json_string_value(json_object_get(h0, "node")), "n3");
    assert_string_equal(json_string_value(json_object_get(h0, "timestamp")),
                        "1970-01-01T00:00:07.000Z");
    assert_string_equal(json_string_value(json_object_get(h0, "body")), "checkout retried");
    assert_true(json_is_real(json_object_get(h0, "rank")));
    json_t *a0 = json_object_get(h0, "attributes");
    assert_true(json_is_object(a0));
    assert_string_equal(json_string_value(json_object_get(a0, "browser")), "firefox");
    assert_string_equal(json_string_value(json_object_get(h1, "id")), "b2");
    json_t *a1 = json_object_get(h1, "attributes");
    assert_true(json_is_array(a1));
    char *pairs = json_dumps(a1, JSON_COMPACT);
    assert_string_equal(pairs, "[[\"browser\",\"firefox\"],[\"tag\",\"x\"],[\"tag\",\"y\"]]");
    free(pairs);
    json_decref(root);

    /* a body that is not UTF-8 comes as base64, and says so */
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search '' --json --attr kind=binary");
    assert_int_equal(rc, 0);
    root = json_loads(out, 0, &je);
    assert_non_null(root);
    h0 = json_array_get(json_object_get(root, "hits"), 0);
    assert_string_equal(json_string_value(json_object_get(h0, "body")), "//4B");
    assert_string_equal(json_string_value(json_object_get(h0, "body_encoding")), "base64");
    json_decref(root);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search '' --attr kind=binary");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "[binary, 3 bytes]"));

    /* a long id is cut to the ID column between characters, never inside a
     * character or a \xNN escape, and the columns after it stay aligned */
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search colwidth --attr kind=wide");
    assert_int_equal(rc, 0);
    char cut[100] = "";
    for (int i = 0; i < 37; i++)
        strcat(cut, "\xc3\xa9");
    strcat(cut, "...  ");
    if (!strstr(out, cut))
        fail_msg("no id of 37 characters and '...': %s", out);
    if (!strstr(out, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...  "))
        fail_msg("the cut is not before the escape, or the cell is not padded: %s", out);
    assert_null(strstr(out, "\\x9..."));
    assert_null(strstr(out, "\xc2\x9b"));
    json_t *valid = json_string(out); /* NULL when a character was split */
    assert_non_null(valid);
    json_decref(valid);

    /* time range; rank order (which hit is best depends on each node's
     * bm25 statistics: only the cut to the limit is checked here) */
    rc = sipcctl(c, out, sizeof out, err, sizeof err,
                 "search checkout --since 1970-01-01T00:00:02Z --until 1970-01-01T00:00:05Z");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "2 hits from 3 of 3 nodes"));
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search checkout --order rank --limit 1");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "1 hit from 3 of 3 nodes (more matched"));

    /* mistakes: clear words, usage exit code; a bad query is the node's
     * answer (exit 1) and the node stays up */
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search x --since '2026-11-23 10:00'");
    assert_int_equal(rc, 64);
    assert_non_null(strstr(err, "--since: '2026-11-23 10:00' is not a time"));
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search x --until 2026-11-23T10:00:00+01:00");
    assert_int_equal(rc, 64);
    assert_non_null(strstr(err, "must be UTC"));
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search x --attr =v");
    assert_int_equal(rc, 64);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search x --order oldest");
    assert_int_equal(rc, 64);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search 'checkout AND ('");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "syntax error"));
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search '*'");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "(a query is FTS5 syntax: "));
    /* KEY=VALUE typed as the query: the refusal names --attr */
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search 'k=v1'");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "syntax error"));
    const char *hint = strstr(err, "; an attribute is matched with --attr KEY=VALUE, not in "
                                   "the query: `sipcctl search '' --attr k=v1`");
    if (!hint)
        fail_msg("no --attr hint in: %s", err);
    /* the command the hint gives works as it is written */
    char cmd[100];
    const char *at = strstr(hint, "`sipcctl ") + strlen("`sipcctl ");
    snprintf(cmd, sizeof cmd, "%.*s", (int)(strchr(at, '`') - at), at);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, cmd);
    if (rc != 0)
        fail_msg("the hint's `sipcctl %s` exits %d: %s", cmd, rc, err);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search 'checkout k=v1'");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "; an attribute is matched with --attr KEY=VALUE, not in the query"));
    assert_null(strstr(err, "`sipcctl search"));
    /* a word a shell would change ($x expanded): no example to paste */
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search 'k=$x'");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "; an attribute is matched with --attr KEY=VALUE, not in the query"));
    assert_null(strstr(err, "`sipcctl search"));
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search 'checkout AND ('");
    assert_null(strstr(err, "--attr"));
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search checkout");
    assert_int_equal(rc, 0);

    /* a stopped node: the rest printed, PARTIAL with its reason, exit 3 */
    unserve(c);
    sw_stop(c->w, 2);
    serve(c);
    char line[200];
    snprintf(line, sizeof line, "PARTIAL: missing n3 (127.0.0.1:%d): connection refused",
             c->w->n[2].port);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search checkout");
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "3 hits from 2 of 3 nodes\n"));
    if (!strstr(out, line))
        fail_msg("expected '%s' in:\n%s", line, out);
    rc = sipcctl(c, out, sizeof out, err, sizeof err, "search checkout --json");
    assert_int_equal(rc, 3);
    root = json_loads(out, 0, &je);
    assert_non_null(root);
    assert_true(json_is_true(json_object_get(root, "partial")));
    json_t *m = json_array_get(json_object_get(root, "nodes_missing"), 0);
    assert_string_equal(keys(m), "address,node,reason");
    assert_string_equal(json_string_value(json_object_get(m, "node")), "n3");
    json_decref(root);
    unserve(c);
    cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_time),
        cmocka_unit_test(t_sipcctl),
    };
    return cmocka_run_group_tests_name("sipcctl_search", tests, NULL, NULL);
}
