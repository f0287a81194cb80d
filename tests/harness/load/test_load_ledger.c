/* test_load_ledger.c - sipc-load's pieces that need no cluster: seq lists,
 * the ledger replay (every line kind, a torn last line, a second
 * verification), the report's fixed lines and JSON round trip, --check,
 * cluster.json and --nodes, record ids, the client home's stamp and load. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "load.h"
#include "search.pb-c.h"
#include "testutil.h"

/* ------------------------------------------------------------------ seqs */

typedef struct collected {
    uint64_t v[64];
    size_t n;
} collected;

static int collect(uint64_t seq, void *arg)
{
    collected *c = arg;
    if (c->n == 64)
        return SIPC_ENOMEM;
    c->v[c->n++] = seq;
    return 0;
}

static void test_seqs_round_trip(void **state)
{
    (void)state;
    load_text t = {0};
    uint64_t in[] = {3, 4, 5, 9, 11, 12, 2};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        load_seqs_add(&t, in[i]);
    assert_string_equal(load_seqs_end(&t), "3-5,9,11-12,2");
    collected c = {{0}, 0};
    assert_int_equal(load_seqs_parse(t.s, collect, &c), 0);
    assert_int_equal(c.n, 7);
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.v[i], in[i]);
    load_text_free(&t);

    load_text empty = {0};
    assert_string_equal(load_seqs_end(&empty), "");
    load_text_free(&empty);

    const char *bad[] = {"1-", "-1", "5-3", "1,,2", "a", "1 2", "100000000", "1-100000000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        collected d = {{0}, 0};
        assert_int_equal(load_seqs_parse(bad[i], collect, &d), SIPC_EFORMAT);
    }
}

static void test_bits(void **state)
{
    (void)state;
    load_bits b = {0};
    assert_int_equal(load_bits_get(&b, 5), 0);
    assert_int_equal(load_bits_set(&b, 5), 0);
    assert_int_equal(load_bits_set(&b, 70000), 0);
    assert_int_equal(load_bits_set(&b, 5), 0);
    assert_int_equal(load_bits_get(&b, 5), 1);
    assert_int_equal(load_bits_get(&b, 6), 0);
    assert_int_equal(load_bits_get(&b, 70000), 1);
    assert_int_equal(load_bits_count(&b), 2);
    assert_int_equal(load_bits_set(&b, LOAD_MAX_SEQ), SIPC_EINVAL);
    load_bits_free(&b);
}

/* ---------------------------------------------------------------- cluster */

static void write_cluster(const char *dir, const char *json)
{
    char path[600];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
}

#define NODE(n, a)                                                                                \
    "{\"name\": \"" n "\", \"address\": \"" a "\", \"home\": \"/h\", \"pid\": 1, \"netns\": null, " \
    "\"ports\": {\"data\": 23000, \"search\": 23001, \"management\": 23002, \"pipeline\": 23003}}"

static const char GOOD[] =
    "{\"version\": 1, \"name\": \"t\", \"dir\": \"/d\", \"bin\": \"/b\", \"base\": \"127.0.1.0\","
    " \"netns\": false, \"client_netns\": null, \"tls\": \"off\", \"pair\": \"/p\","
    " \"password_file\": \"/pw\", \"client_home\": \"/c\", \"nodes\": [" NODE("n1", "127.0.1.1")
    ", " NODE("n2", "127.0.1.2") ", " NODE("n3", "127.0.1.3") "]}";

static void test_cluster(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("load-cluster");
    load_cluster *c = calloc(1, sizeof *c);
    char err[600];
    write_cluster(dir, GOOD);
    assert_int_equal(load_cluster_read(c, dir, err, sizeof err), 0);
    assert_int_equal(c->n, 3);
    assert_string_equal(c->client_home, "/c");
    assert_string_equal(c->node[1].dest, "127.0.1.2:23000");
    assert_int_equal(c->node[2].port[LOAD_PORT_PIPELINE], 23003);
    assert_int_equal(load_cluster_find(c, "n3"), 2);
    assert_int_equal(load_cluster_find(c, "127.0.1.1:23000"), 0);
    assert_int_equal(load_cluster_find(c, "127.0.1.1:23001"), -1);
    int idx[LOAD_MAX_NODES], n;
    assert_int_equal(load_cluster_select(c, "n3,n1,n3", idx, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 0);
    assert_int_equal(load_cluster_select(c, NULL, idx, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(load_cluster_select(c, "n1,n9", idx, &n, err, sizeof err), SIPC_EINVAL);
    assert_non_null(strstr(err, "n9"));
    assert_int_equal(load_cluster_select(c, "n1,,n2", idx, &n, err, sizeof err), SIPC_EINVAL);

    const char *bad[] = {
        "{\"version\": 2, \"name\": \"t\", \"client_home\": \"/c\", \"nodes\": [" NODE("n1", "a") "]}",
        "{\"version\": 1, \"name\": \"t\", \"nodes\": [" NODE("n1", "a") "]}",
        "{\"version\": 1, \"name\": \"t\", \"client_home\": \"/c\", \"nodes\": []}",
        "{\"version\": 1, \"name\": \"t\", \"client_home\": \"/c\", \"nodes\": [" NODE("n1", "a")
        ", " NODE("n1", "b") "]}",
        "{\"version\": 1, \"name\": \"t\", \"client_home\": \"/c\", \"nodes\": [{\"name\": \"n1\","
        " \"address\": \"a\", \"ports\": {\"data\": 1, \"search\": 2, \"management\": 3}}]}",
        "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_cluster(dir, bad[i]);
        assert_int_equal(load_cluster_read(c, dir, err, sizeof err), SIPC_ECONFIG);
        assert_true(err[0] != '\0');
    }
    free(c);
    tu_rmdir(dir);
    free(dir);
}

/* ----------------------------------------------------------------- replay */

static const char *const LEDGER[] = {
    "run l1a2b 1700000000000 200 4242 n1,n2,n3",
    "S 1700000000010 n1 0-9",
    "S 1700000000030 n2 10-19",
    "A 1700000000040 127.0.1.1:23000 0-3,5",
    "A 1700000000041 127.0.1.2:23000 4,6-9",
    "R 1700000000500 n3 10-19 connection closed [SIPC_ECLOSED]",
    "A 1700000000600 127.0.1.3:23000 10-17",
    "E 1700000030000 18-19 not acknowledged within 30 s",
    "P 1700000001000 20 18 2 0 640 590 10",
    "Q 1700000002000 n1 12 1 n2",
    "Q 1700000004000 n3 18 1 n2,n3",
    "Q 1700000006000 n3 18 0 -",
    "H 1700000002000 0-11",
    "X 1700000031000 0 drained",
};

/* what load_report_check says, and its code */
static int check_says(const load_report *r, char *out, size_t cap)
{
    FILE *f = fmemopen(out, cap, "w");
    assert_non_null(f);
    int rc = load_report_check(r, f);
    fclose(f);
    return rc;
}

static void replay(load_state *st, const load_cluster *c, size_t upto)
{
    load_state_init(st);
    for (size_t i = 0; i < upto; i++)
        load_state_line(st, LEDGER[i], c);
}

static void test_replay(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("load-replay");
    load_cluster *c = calloc(1, sizeof *c);
    char err[600];
    write_cluster(dir, GOOD);
    assert_int_equal(load_cluster_read(c, dir, err, sizeof err), 0);

    load_state st;
    replay(&st, c, sizeof LEDGER / sizeof LEDGER[0]);
    assert_string_equal(st.run, "l1a2b");
    assert_int_equal(st.start_ms, 1700000000000LL);
    assert_int_equal(st.nseq, 20);
    assert_int_equal(st.bad_lines, 0);
    assert_int_equal(st.version, 1); /* a run line without VERSION */
    assert_int_equal(st.retries, 10);
    assert_int_equal(st.longest_stall_ms, 640);
    assert_int_equal(st.max_latency_ms, 590);
    assert_int_equal(st.searches, 3);
    assert_int_equal(st.searches_partial, 2);
    assert_string_equal(st.partial_nodes, "n2,n3");
    assert_true(st.ended);
    assert_false(st.verified);
    assert_int_equal(st.dest[4], 1);
    assert_int_equal(st.dest[12], 2);
    assert_int_equal(st.dest[18], 0xff);
    assert_int_equal(load_bits_count(&st.searched), 12);

    load_report r;
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.sent, 20);
    assert_int_equal(r.acknowledged, 18);
    assert_int_equal(r.errors, 2);
    assert_int_equal(r.pending, 0);
    assert_int_equal(r.found, 0);
    assert_int_equal(r.lost, 0); /* not verified: nothing is known lost yet */
    assert_string_equal(r.state, "stopped");
    assert_int_equal(load_report_check(&r, stderr), LOAD_EXIT_CHECK);
    load_report_from_state(&r, &st, 1);
    assert_string_equal(r.state, "running");

    /* a verification: 16 found, 2 not */
    load_state_line(&st, "F 1700000040000 n1 0-9", c);
    load_state_line(&st, "F 1700000040000 n3 10-15", c);
    load_state_line(&st, "N 1700000040000 16 not found on any node", c);
    load_state_line(&st, "N 1700000040000 17 not found on any node", c);
    load_state_line(&st, "D 1700000040000 3", c);
    load_state_line(&st, "V 1700000040001 16 2 1 0", c);
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.state, "verified");
    assert_int_equal(r.found, 16);
    assert_int_equal(r.lost, 2);
    assert_int_equal(r.duplicated, 1);
    char says[512];
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_string_equal(says, "sipc-load: check failed: 2 acknowledged record(s) proven lost, "
                              "2 error(s)\n");

    /* verified again with n3 down: what only n3 could answer is unverified,
     * not proven lost, and the check says so, naming n3 */
    load_state_line(&st, "F 1700000045000 n1 0-9", c);
    load_state_line(&st, "N 1700000045000 10-15 unverified: a node that could not be asked may "
                         "hold it", c);
    load_state_line(&st, "N 1700000045000 16-17 not found on any node", c);
    load_state_line(&st, "V 1700000045001 10 8 0 6 n3", c);
    load_report_from_state(&r, &st, 0);
    /* lost says only what is proven lost; the state says not all could be
     * checked */
    assert_int_equal(r.lost, 2);
    assert_int_equal(r.unverified, 6);
    assert_string_equal(r.unverified_nodes, "n3");
    assert_string_equal(r.state, "verified-partial");
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_string_equal(says, "sipc-load: check failed: 6 acknowledged record(s) unverified (n3 "
                              "could not be asked), 2 proven lost, 2 error(s)\n");
    /* two nodes down; and a ledger from before the NODES field */
    load_state_line(&st, "V 1700000045002 10 8 0 8 n2,n3", c);
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.unverified, 8);
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_non_null(strstr(says, "8 acknowledged record(s) unverified (n2, n3 could not be asked), "
                                 "0 proven lost"));
    load_state_line(&st, "V 1700000045003 10 8 0 8", c);
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.unverified_nodes, "");
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_non_null(strstr(says, "8 acknowledged record(s) unverified (verification ran out of "
                                 "time, or a call failed: see load.log), 0 proven lost"));

    /* verified again after the records came back: only the new lines count */
    load_state_line(&st, "F 1700000050000 n1 0-17", c);
    load_state_line(&st, "V 1700000050001 18 0 0 0 -", c);
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.found, 18);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.unverified, 0);
    assert_string_equal(r.state, "verified");
    assert_string_equal(r.unverified_nodes, "");
    assert_int_equal(r.errors, 2);
    assert_int_equal(load_report_check(&r, stderr), LOAD_EXIT_CHECK); /* errors */

    /* an error that was acknowledged later is no error */
    load_state_line(&st, "A 1700000060000 127.0.1.1:23000 18-19", c);
    load_state_line(&st, "F 1700000070000 n1 0-19", c);
    load_state_line(&st, "V 1700000070001 20 0 0 0", c);
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(load_report_check(&r, stderr), 0);
    load_state_free(&st);
    free(c);
    tu_rmdir(dir);
    free(dir);
}

static void test_replay_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("load-file");
    char path[600], err[600];
    snprintf(path, sizeof path, "%s/ledger", dir);
    load_state st;
    load_state_init(&st);
    assert_int_equal(load_state_read(&st, path, NULL, err, sizeof err), SIPC_ENOTCONN);
    load_state_free(&st);

    load_ledger lg;
    assert_int_equal(load_ledger_open(&lg, path, err, sizeof err), 0);
    assert_int_equal(load_ledger_line(&lg, "run %s 1 2 3 n1", "lx"), 0);
    assert_int_equal(load_ledger_line(&lg, "S 10 n1 0-4"), 0);
    /* a long line goes out whole */
    load_text t = {0};
    for (uint64_t s = 5; s < 5000; s += 2)
        load_seqs_add(&t, s);
    assert_int_equal(load_ledger_line(&lg, "S 11 n1 %s", load_seqs_end(&t)), 0);
    load_text_free(&t);
    assert_int_equal(load_ledger_line(&lg, "A 12 - 0-4"), 0);
    load_ledger_close(&lg);
    /* a generator killed in the middle of a write: the torn line is ignored */
    FILE *f = fopen(path, "a");
    fputs("A 13 - 5,7,9", f);
    fclose(f);

    load_state_init(&st);
    assert_int_equal(load_state_read(&st, path, NULL, err, sizeof err), 0);
    assert_int_equal(st.bad_lines, 0);
    assert_int_equal(load_bits_count(&st.sent), 5 + 2498);
    assert_int_equal(load_bits_count(&st.acked), 5);
    load_report r;
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.pending, 2498);
    load_state_free(&st);
    tu_rmdir(dir);
    free(dir);
}

/* What makes a ledger known to miss events, each on its own: the run is
 * then "incomplete", never "verified", and --check fails saying why, even
 * with a verification that found every record it knew of. */
static const char *const WHOLE[] = {
    "run l7 1700000000000 200 4242 n1 2",
    "S 1700000000010 n1 0-9",
    "A 1700000000040 127.0.1.1:23000 0-9",
    "X 1700000001000 0 10 10 0 drained",
    "F 1700000002000 n1 0-9",
    "V 1700000002001 10 0 0 0 -",
};

static void whole_plus(load_state *st, const char *const *more, size_t n)
{
    load_state_init(st);
    for (size_t i = 0; i < sizeof WHOLE / sizeof WHOLE[0]; i++)
        load_state_line(st, WHOLE[i], NULL);
    for (size_t i = 0; i < n; i++)
        load_state_line(st, more[i], NULL);
}

static void assert_incomplete(const char *const *more, size_t n, const char *says_what)
{
    load_state st;
    whole_plus(&st, more, n);
    load_report r;
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.state, "incomplete");
    assert_non_null(strstr(r.incomplete, says_what));
    char says[1024];
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_non_null(strstr(says, "check failed: the ledger is incomplete ("));
    assert_non_null(strstr(says, says_what));
    load_state_free(&st);
}

static void test_incomplete(void **state)
{
    (void)state;
    load_state st;
    load_report r;
    char says[1024];
    /* whole: verified, the check passes */
    whole_plus(&st, NULL, 0);
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.state, "verified");
    assert_string_equal(r.incomplete, "");
    assert_int_equal(load_report_check(&r, stderr), 0);
    load_state_free(&st);

    /* the generator's own counts above the ledger's: lines are missing (the
     * acknowledgements of 5 records it counted) */
    const char *more_acked[] = {"X 1700000001001 0 15 15 0 drained"};
    assert_incomplete(more_acked, 1, "the generator counted 15 sent, 15 acknowledged, 0 error(s); "
                                     "the ledger holds 10, 10, 0");
    /* acknowledged more than sent: the S lines of a full disk missing, the A
     * lines written once it had room again */
    const char *unsent[] = {"A 1700000001500 127.0.1.1:23000 10-12"};
    assert_incomplete(unsent, 1, "3 record(s) acknowledged or failed that it never recorded as sent");
    /* the generator said it stopped for the ledger */
    const char *failed[] = {"X 1700000001002 4 14 10 0 " LOAD_X_LEDGER_FAILED
                            ": no space left on device"};
    assert_incomplete(failed, 1, "the generator stopped: ledger write failed: no space left on device");
    /* a line cut short in the middle of the file */
    const char *torn[] = {"A 1700000001600 127.0.1.1:23S 1700000001601 n1 10-19"};
    assert_incomplete(torn, 1, "1 line(s) that cannot be read");

    /* no X line: killed, or it could not write the ledger; while it runs
     * that is no finding */
    load_state_init(&st);
    for (size_t i = 0; i < 3; i++)
        load_state_line(&st, WHOLE[i], NULL);
    load_report_from_state(&r, &st, 1);
    assert_string_equal(r.state, "running");
    assert_string_equal(r.incomplete, "");
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.state, "incomplete");
    assert_non_null(strstr(r.incomplete, "the generator ended without its last line (X)"));
    load_state_free(&st);

    /* pending: sent, neither acknowledged nor failed (the generator ended
     * before its drain, its X line written): the check fails on it */
    const char *pending[] = {"S 1700000000900 n1 10-15", "X 1700000001003 6 16 10 0 stopped",
                             "F 1700000003000 n1 0-9", "V 1700000003001 10 0 0 0 -"};
    whole_plus(&st, pending, 4);
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.state, "verified");
    assert_int_equal(r.pending, 6);
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_string_equal(says, "sipc-load: check failed: 0 acknowledged record(s) proven lost, 0 "
                              "error(s), 6 pending (sent, neither acknowledged nor failed: the "
                              "generator ended before its drain)\n");
    load_state_free(&st);

    /* errors stored after all (G), said beside the errors; a later
     * verification's G lines replace them */
    const char *stored[] = {"S 1700000000900 n1 10-13", "E 1700000000950 10-13 deadline",
                            "X 1700000001004 0 14 10 4 drained", "F 1700000003000 n1 0-9",
                            "G 1700000003000 n1 11-12", "V 1700000003001 10 0 0 0 -"};
    whole_plus(&st, stored, 6);
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.errors, 4);
    assert_int_equal(r.errors_stored, 2);
    assert_int_equal(check_says(&r, says, sizeof says), LOAD_EXIT_CHECK);
    assert_string_equal(says, "sipc-load: check failed: 0 acknowledged record(s) proven lost, 4 "
                              "error(s) (2 found stored after all)\n");
    load_state_line(&st, "F 1700000004000 n1 0-9", NULL);
    load_state_line(&st, "G 1700000004000 n1 13", NULL);
    load_state_line(&st, "V 1700000004001 10 0 0 0 -", NULL);
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.errors_stored, 1);
    load_state_free(&st);
}

/* S's T is the records' timestamp (version 2), looked up per seq */
static void test_sent_ts(void **state)
{
    (void)state;
    load_state st;
    load_state_init(&st);
    load_state_line(&st, "run l8 1700000000000 200 4242 n1,n2 2", NULL);
    load_state_line(&st, "S 1700000000010 n1 0-9", NULL);
    load_state_line(&st, "S 1700000000010 n2 10-19", NULL);
    load_state_line(&st, "S 1700000000030 n1 20-29", NULL);
    load_state_line(&st, "R 1700000000500 n2 20-29 closed", NULL);
    load_state_line(&st, "S 1700000000031 n2 30,32", NULL);
    assert_int_equal(st.version, 2);
    assert_int_equal(st.nsends, 4); /* 0-19 one run (one timestamp); 30 and 32 apart */
    int64_t ts = 0;
    assert_int_equal(load_state_sent_ts(&st, 0, &ts), 0);
    assert_int_equal(ts, 1700000000010LL);
    assert_int_equal(load_state_sent_ts(&st, 19, &ts), 0);
    assert_int_equal(ts, 1700000000010LL);
    assert_int_equal(load_state_sent_ts(&st, 25, &ts), 0);
    assert_int_equal(ts, 1700000000030LL); /* the first send's, not the resend's */
    assert_int_equal(load_state_sent_ts(&st, 32, &ts), 0);
    assert_int_equal(ts, 1700000000031LL);
    assert_int_equal(load_state_sent_ts(&st, 31, &ts), -1);
    assert_int_equal(load_state_sent_ts(&st, 33, &ts), -1);
    /* a version 1 ledger's T is not the timestamp: not said */
    st.version = 1;
    assert_int_equal(load_state_sent_ts(&st, 0, &ts), -1);
    load_state_free(&st);
}

/* A write that fails marks the ledger failed and writes nothing more but
 * the last line, which starts a line of its own. */
static void test_ledger_write_fails(void **state)
{
    (void)state;
    char err[600];
    load_ledger lg;
    assert_int_equal(load_ledger_open(&lg, "/dev/full", err, sizeof err), 0);
    assert_int_equal(load_ledger_line(&lg, "S 1 n1 0-9"), -ENOSPC);
    assert_int_equal(lg.failed, -ENOSPC);
    assert_int_equal(load_ledger_line(&lg, "A 2 - 0-9"), -ENOSPC);
    assert_int_equal(load_ledger_last_line(&lg, "X 3 0 10 10 0 drained"), -ENOSPC);
    load_ledger_close(&lg);

    char *dir = tu_mkdtemp("load-fails");
    char path[600];
    snprintf(path, sizeof path, "%s/ledger", dir);
    assert_int_equal(load_ledger_open(&lg, path, err, sizeof err), 0);
    assert_int_equal(load_ledger_line(&lg, "run lx 1 2 3 n1 2"), 0);
    assert_int_equal(load_ledger_line(&lg, "S 10 n1 0-4"), 0);
    /* as if the disk had filled in the middle of a line */
    assert_int_equal(write(lg.fd, "A 11 127.0.", 11), 11);
    lg.failed = -ENOSPC;
    assert_int_equal(load_ledger_line(&lg, "A 12 - 1-4"), -ENOSPC);
    assert_int_equal(load_ledger_last_line(&lg, "X 13 0 5 5 0 " LOAD_X_LEDGER_FAILED ": full"), 0);
    load_ledger_close(&lg);
    FILE *f = fopen(path, "r");
    char text[256];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_string_equal(text, "run lx 1 2 3 n1 2\nS 10 n1 0-4\nA 11 127.0.\nX 13 0 5 5 0 "
                              LOAD_X_LEDGER_FAILED ": full\n");
    load_state st;
    load_state_init(&st);
    assert_int_equal(load_state_read(&st, path, NULL, err, sizeof err), 0);
    load_report r;
    load_report_from_state(&r, &st, 0);
    assert_string_equal(r.state, "incomplete");
    assert_non_null(strstr(r.incomplete, "the generator stopped: " LOAD_X_LEDGER_FAILED ": full"));
    assert_non_null(strstr(r.incomplete, "1 line(s) that cannot be read"));
    load_state_free(&st);
    tu_rmdir(dir);
    free(dir);
}

/* ----------------------------------------------------------------- report */

/* An outage through which acknowledgements trickle in, 100/s asked over
 * 10 s: 100 a second, then 5 a second for four seconds (no gap longer
 * than 200 ms: longest_stall_ms would say 200), then 40 new ones and 60
 * acknowledged again in the fifth (a repeat counts once), then 100, 50
 * (half the rate asked is not under it), 100. longest_slow_ms says the
 * five seconds; without a rate asked, nothing. */
static void test_slow_window(void **state)
{
    (void)state;
    load_state st;
    load_state_init(&st);
    load_state_line(&st, "run l1slow 1700000000000 100 4242 n1", NULL);
    load_state_line(&st, "S 1700000000000 n1 0-1099", NULL);
    load_state_line(&st, "S 1700000010000 n1 1100", NULL);
    static const int fresh[10] = {100, 100, 100, 5, 5, 5, 5, 40, 100, 50};
    unsigned long long seq = 0;
    char line[200];
    for (int sec = 0; sec < 10; sec++) {
        for (int k = 0; k < fresh[sec]; k++, seq++) {
            snprintf(line, sizeof line, "A %lld 127.0.1.1:23000 %llu",
                     1700000000000LL + sec * 1000 + k * (1000 / fresh[sec]), seq);
            load_state_line(&st, line, NULL);
        }
        if (sec == 7) {
            snprintf(line, sizeof line, "A 1700000007900 127.0.1.1:23000 0-59");
            load_state_line(&st, line, NULL);
        }
    }
    assert_int_equal(st.bad_lines, 0);
    load_report r;
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.acknowledged, seq);
    assert_int_equal(r.longest_slow_ms, 5000);
    load_state_free(&st);

    load_state_init(&st);
    load_state_line(&st, "run l1none 1700000000000 0 4242 n1", NULL);
    load_state_line(&st, "S 1700000000000 n1 0-9", NULL);
    load_state_line(&st, "S 1700000005000 n1 10", NULL);
    load_report_from_state(&r, &st, 0);
    assert_int_equal(r.longest_slow_ms, 0);
    load_state_free(&st);
}

static void test_report_format(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("load-report");
    load_report r;
    memset(&r, 0, sizeof r);
    r.sent = 1000;
    r.acknowledged = 990;
    r.found = 989;
    r.lost = 1;
    r.duplicated = 2;
    r.errors = 3;
    r.longest_stall_ms = 1234;
    r.longest_slow_ms = 5000;
    r.retries = 40;
    r.pending = 7;
    r.rate = 199.6000000001;
    r.rate_asked = 250;
    r.seconds = 5.0010000000000003;
    snprintf(r.state, sizeof r.state, "verified");
    snprintf(r.run, sizeof r.run, "l9");
    snprintf(r.partial_nodes, sizeof r.partial_nodes, "n2");
    snprintf(r.unverified_nodes, sizeof r.unverified_nodes, "n3");

    char path[600], err[600];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    FILE *f = fopen(path, "w");
    load_report_print(f, &r, 0);
    fclose(f);
    f = fopen(path, "r");
    char text[2048];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *head = "sent: 1000\nacknowledged: 990\nfound: 989\nlost: 1\nduplicated: 2\n"
                       "errors: 3\nlongest_stall_ms: 1234\n";
    assert_memory_equal(text, head, strlen(head));
    assert_non_null(strstr(text, "\nlongest_stall_ms: 1234\nlongest_slow_ms: 5000\nretries: 40\n"));
    assert_non_null(strstr(text, "\nrate: 200/s (asked 250/s)\n"));
    assert_non_null(strstr(text, "\npartial_nodes: n2\nunverified_nodes: n3\n"));

    /* JSON: the node lists as arrays, the rate and seconds without a
     * double's noise, no incomplete ledger as null */
    snprintf(path, sizeof path, "%s/out.json", dir);
    f = fopen(path, "w");
    load_report_print(f, &r, 1);
    fclose(f);
    f = fopen(path, "r");
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "\"partial_nodes\":[\"n2\"],\"unverified_nodes\":[\"n3\"],"
                                 "\"rate\":199.6,\"rate_asked\":250,\"seconds\":5.001,"
                                 "\"state\":\"verified\",\"incomplete\":null,"));
    /* a report.json written before, with the lists as strings */
    f = fopen(path, "w");
    fputs("{\"sent\": 3, \"partial_nodes\": \"n1,n2\", \"unverified_nodes\": \"\", \"state\": "
          "\"verified\"}", f);
    fclose(f);
    load_report old;
    assert_int_equal(load_report_read(&old, path, err, sizeof err), 0);
    assert_string_equal(old.partial_nodes, "n1,n2");
    assert_string_equal(old.unverified_nodes, "");
    assert_string_equal(old.incomplete, "");

    snprintf(path, sizeof path, "%s/report.json", dir);
    snprintf(r.partial_nodes, sizeof r.partial_nodes, "n2,n4");
    assert_int_equal(load_report_write(&r, path, err, sizeof err), 0);
    load_report back;
    assert_int_equal(load_report_read(&back, path, err, sizeof err), 0);
    assert_int_equal(back.sent, 1000);
    assert_int_equal(back.lost, 1);
    assert_int_equal(back.errors, 3);
    assert_int_equal(back.longest_stall_ms, 1234);
    assert_int_equal(back.longest_slow_ms, 5000);
    assert_int_equal(back.retries, 40);
    assert_int_equal(back.rate_asked, 250);
    assert_string_equal(back.state, "verified");
    assert_string_equal(back.partial_nodes, "n2,n4");
    assert_string_equal(back.unverified_nodes, "n3");
    assert_int_equal(load_report_check(&back, stderr), LOAD_EXIT_CHECK);
    back.lost = 0;
    assert_int_equal(load_report_check(&back, stderr), LOAD_EXIT_CHECK);
    back.errors = 0;
    assert_int_equal(load_report_check(&back, stderr), LOAD_EXIT_CHECK); /* 7 pending */
    back.pending = 0;
    assert_int_equal(load_report_check(&back, stderr), 0);
    /* unverified records alone fail the check too */
    back.unverified = 4;
    snprintf(back.state, sizeof back.state, "verified-partial");
    assert_int_equal(load_report_check(&back, stderr), LOAD_EXIT_CHECK);

    /* a report.json from before lost left the unverified out (lost 6 of
     * which 4 unverified, state verified) reads as it would be written now */
    r.lost = 6;
    r.unverified = 4;
    assert_int_equal(load_report_write(&r, path, err, sizeof err), 0);
    assert_int_equal(load_report_read(&back, path, err, sizeof err), 0);
    assert_int_equal(back.lost, 2);
    assert_int_equal(back.unverified, 4);
    assert_string_equal(back.state, "verified-partial");
    tu_rmdir(dir);
    free(dir);
}

/* ----------------------------------------------------------------- search */

static void test_search_answer(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("load-search");
    load_cluster *c = calloc(1, sizeof *c);
    char err[600];
    write_cluster(dir, GOOD);
    assert_int_equal(load_cluster_read(c, dir, err, sizeof err), 0);

    /* the request: the run's attribute, the time range, the most hits */
    uint8_t buf[512];
    size_t len = load_search_request("l77", 1000, 2000, buf, sizeof buf);
    assert_true(len > 0);
    assert_int_equal(load_search_request("l77", 1000, 2000, buf, 4), 0);
    Sipc__Search__QueryRequest *q = sipc__search__query_request__unpack(NULL, len, buf);
    assert_non_null(q);
    assert_int_equal(q->n_filters, 1);
    assert_memory_equal(q->filters[0]->key.data, LOAD_ATTR_RUN, strlen(LOAD_ATTR_RUN));
    assert_memory_equal(q->filters[0]->value.data, "l77", 3);
    assert_int_equal(q->since_ms, 1000);
    assert_int_equal(q->until_ms, 2000);
    assert_int_equal(q->limit, 1000);
    sipc__search__query_request__free_unpacked(q, NULL);

    /* an answer: hits newest first, one id twice (two nodes), one of
     * another run; two nodes missing, one known only by its address */
    const char *ids[] = {"l77-12", "l77-10", "l77-11", "l77-10", "l7-10", "l77-200"};
    Sipc__Search__Hit hits[6], *hp[6];
    for (int i = 0; i < 6; i++) {
        sipc__search__hit__init(&hits[i]);
        hits[i].id.data = (uint8_t *)ids[i];
        hits[i].id.len = strlen(ids[i]);
        hp[i] = &hits[i];
    }
    Sipc__Search__MissingNode miss[2], *mp[2];
    sipc__search__missing_node__init(&miss[0]);
    miss[0].node.data = (uint8_t *)"n2";
    miss[0].node.len = 2;
    miss[0].address.data = (uint8_t *)"127.0.1.2:23001";
    miss[0].address.len = 15;
    miss[0].reason.data = (uint8_t *)"timed out after 2700 ms";
    miss[0].reason.len = 23;
    sipc__search__missing_node__init(&miss[1]);
    miss[1].address.data = (uint8_t *)"127.0.1.3:23001";
    miss[1].address.len = 15;
    miss[1].reason.data = (uint8_t *)"connection refused";
    miss[1].reason.len = 18;
    mp[0] = &miss[0];
    mp[1] = &miss[1];
    Sipc__Search__QueryResponse r = SIPC__SEARCH__QUERY_RESPONSE__INIT;
    r.hits = hp;
    r.n_hits = 6;
    r.partial = 1;
    r.nodes_missing = mp;
    r.n_nodes_missing = 2;
    uint8_t out[2048];
    len = sipc__search__query_response__pack(&r, out);
    load_hits h;
    assert_int_equal(load_search_answer("l77", c, out, len, &h), 0);
    assert_int_equal(h.all_hits, 6);
    assert_int_equal(h.nhits, 4);
    assert_string_equal(h.hits.s, "10-12,200");
    assert_int_equal(h.ndups, 1);
    assert_string_equal(h.dups.s, "10");
    assert_true(h.partial);
    assert_string_equal(h.missing, "n2,n3");
    assert_non_null(strstr(h.detail, "n3 (127.0.1.3:23001): connection refused"));
    load_hits_free(&h);
    assert_int_equal(load_search_answer("l77", c, (const uint8_t *)"\xff\xff", 2, &h),
                     SIPC_EFORMAT);
    free(c);
    tu_rmdir(dir);
    free(dir);
}

/* ---------------------------------------------------------------- records */

static void test_record_ids(void **state)
{
    (void)state;
    char id[96], body[256];
    size_t n = load_record_id("l5f", 1234, id, sizeof id);
    assert_string_equal(id, "l5f-1234");
    uint64_t seq = 0;
    assert_int_equal(load_record_seq("l5f", (const uint8_t *)id, n, &seq), 0);
    assert_int_equal(seq, 1234);
    assert_int_equal(load_record_seq("l5", (const uint8_t *)id, n, &seq), -1);
    assert_int_equal(load_record_seq("l5f", (const uint8_t *)"l5f-", 4, &seq), -1);
    assert_int_equal(load_record_seq("l5f", (const uint8_t *)"l5f-12x", 7, &seq), -1);
    assert_int_equal(load_record_seq("l5f", (const uint8_t *)"l5f-999999999999", 16, &seq), -1);
    /* the body is a function of run and seq: a re-send is identical */
    char again[256];
    size_t b1 = load_record_body("l5f", 7, body, sizeof body);
    size_t b2 = load_record_body("l5f", 7, again, sizeof again);
    assert_int_equal(b1, b2);
    assert_memory_equal(body, again, b1);
    load_record_body("l5f", 8, again, sizeof again);
    assert_string_not_equal(body, again);
    char run[64];
    load_run_id(run, sizeof run);
    assert_null(strchr(run, '-'));
    assert_true(run[0] == 'l');
}

/* ------------------------------------------------------------ client home */

static void put(const char *dir, const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The stamp changes with every file a security change writes (a rewrite, a
 * file renamed into place, a new or removed entry) and with nothing else; the home loads again, or says why not. */
static void test_home_stamp(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("load-home");
    load_cluster *c = calloc(1, sizeof *c);
    assert_non_null(c);
    snprintf(c->client_home, sizeof c->client_home, "%s", dir);
    char sec_dir[600];
    snprintf(sec_dir, sizeof sec_dir, "%s/security", dir);
    assert_int_equal(mkdir(sec_dir, 0700), 0);
    put(dir, "sipc.conf", "[cluster]\nname = a\n");
    load_home_stamp a, b;
    load_home_stamp_read(c, &a);
    load_home_stamp_read(c, &b);
    assert_true(load_home_stamp_equal(&a, &b));
    put(dir, "unrelated", "x"); /* not a security file */
    load_home_stamp_read(c, &b);
    assert_true(load_home_stamp_equal(&a, &b));

    sipc_config *cfg = calloc(1, sizeof *cfg);
    sipc_security *sec = NULL;
    char err[1400] = "";
    assert_non_null(cfg);
    assert_int_equal(load_client_security(&sec, cfg, c, err, sizeof err), 0);
    assert_non_null(sec);
    assert_int_equal(sipc_security_mode(sec), SIPC_TLS_OFF); /* no pair: plaintext */
    sipc_security_release(sec);

    /* rewritten in place (another size; the same size within one clock
     * tick of the file system would look the same) */
    put(dir, "sipc.conf", "[cluster]\nname = bb\n");
    load_home_stamp_read(c, &b);
    assert_false(load_home_stamp_equal(&a, &b));
    a = b;
    /* a file moved in over another one (a new inode) */
    put(dir, "security/trust.new", "x");
    load_home_stamp_read(c, &b);
    assert_false(load_home_stamp_equal(&a, &b)); /* security/ gained an entry */
    a = b;
    char from[700], to[700];
    snprintf(from, sizeof from, "%s/security/trust.new", dir);
    snprintf(to, sizeof to, "%s/security/rotation", dir);
    assert_int_equal(rename(from, to), 0);
    load_home_stamp_read(c, &b);
    assert_false(load_home_stamp_equal(&a, &b));
    a = b;
    assert_int_equal(unlink(to), 0);
    load_home_stamp_read(c, &b);
    assert_false(load_home_stamp_equal(&a, &b));

    /* a home that does not load: the reason, and no security */
    put(dir, "sipc.conf", "[cluster]\nno_such_key = 1\n");
    sec = NULL;
    assert_int_equal(load_client_security(&sec, cfg, c, err, sizeof err), SIPC_EXIT_CONFIG);
    assert_null(sec);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "sipc.conf"));
    free(cfg);
    free(c);
    tu_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seqs_round_trip), cmocka_unit_test(test_bits),
        cmocka_unit_test(test_cluster),         cmocka_unit_test(test_replay),
        cmocka_unit_test(test_replay_file),     cmocka_unit_test(test_slow_window),
        cmocka_unit_test(test_incomplete),      cmocka_unit_test(test_sent_ts),
        cmocka_unit_test(test_ledger_write_fails),
        cmocka_unit_test(test_report_format),
        cmocka_unit_test(test_search_answer),   cmocka_unit_test(test_record_ids),
        cmocka_unit_test(test_home_stamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
