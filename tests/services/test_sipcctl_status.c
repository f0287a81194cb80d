/* test_sipcctl_status.c - `sipcctl status --cluster`, the real program,
 * against a management.cluster served from a thread with answers made by
 * hand: an older coordinator's answer (no "health") is graded by the node's
 * own rule, so its exit codes and --expect-mode mean what they mean with a
 * current one, and its notes (mixed builds) are made by sipcctl. The same
 * fake answers `sipcctl status` of one node: log lines dropped at a daily
 * file's cap are said beside "logs: ok", and a pipeline destination judged
 * unresponsive under its link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "testutil.h"

typedef struct fake {
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t stop;
    uv_mutex_t lock;
    const char *answer; /* what management.cluster says, under lock */
    sipc_router *router;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_server *srv;
    int port;
    char *home;
} fake;

static void on_cluster(sipc_request *req, void *arg)
{
    fake *f = arg;
    uv_mutex_lock(&f->lock);
    /* "error:TEXT": an error answer with that message */
    if (!strncmp(f->answer, "error:", 6))
        sipc_respond_error(req, SIPC_EINVAL, f->answer + 6);
    else
        sipc_respond(req, f->answer, strlen(f->answer));
    uv_mutex_unlock(&f->lock);
}

static void on_stop(uv_async_t *a)
{
    fake *f = a->data;
    uv_close((uv_handle_t *)a, NULL);
    sipc_ctx_close(f->ctx, NULL, NULL);
}

static void run_loop(void *arg)
{
    fake *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

/* sipcctl status (cluster: --cluster) args against answer. */
static int ctl_run(fake *f, const char *answer, int cluster, const char *args, char *out,
                   size_t outlen)
{
    uv_mutex_lock(&f->lock);
    f->answer = answer;
    uv_mutex_unlock(&f->lock);
    const char *bin = getenv("SIPC_TEST_BIN");
    const char *net = getenv("SIPC_TEST_NET");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/sipcctl' --home '%s' --node %s.1:%d status%s 2>&1 %s",
             bin ? bin : ".", f->home, net ? net : "127.0.72", f->port,
             cluster ? " --cluster" : "", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int ctl(fake *f, const char *answer, const char *args, char *out, size_t outlen)
{
    return ctl_run(f, answer, 1, args, out, outlen);
}

/* sipcctl status on a node whose log files dropped `dropped` lines at a cap
 * of `cap` bytes, one of today's files at it when `capped`. */
static int logs_status(fake *f, int capped, long long dropped, long long cap, char *out,
                       size_t outlen)
{
    static char answer[400]; /* the fake answers from it while sipcctl runs */
    snprintf(answer, sizeof answer,
             "{\"schema\": 1, \"logs\": {\"failing\": false, \"failures_total\": 0, \"dir\": "
             "\"/x/logs\", \"lines_lost_total\": 0, \"capped\": %s, \"lines_dropped_total\": "
             "%lld, \"file_cap_bytes\": %lld}}",
             capped ? "true" : "false", dropped, cap);
    return ctl_run(f, answer, 0, "", out, outlen);
}

/* status --cluster ARGS against answer exits want and prints text; the
 * output stays in last_out */
static char last_out[16384];
static void expect_cluster(fake *f, const char *answer, const char *args, int want,
                           const char *text)
{
    int rc = ctl(f, answer, args, last_out, sizeof last_out);
    if (rc != want || !strstr(last_out, text))
        fail_msg("status --cluster %s: exit %d, want %d and '%s':\n%s", args, rc, want, text,
                 last_out);
}

static void older_coordinator(void **state)
{
    (void)state;
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_mutex_init(&f->lock), 0);
    assert_int_equal(sipc_router_new(&f->router), 0);
    assert_int_equal(sipc_router_add(f->router, "management", "cluster", on_cluster, f), 0);
    assert_int_equal(sipc_router_add(f->router, "management", "status", on_cluster, f), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "n1";
    o.cluster = "test";
    f->sec = tu_security(SIPC_TLS_OFF, "");
    assert_int_equal(sipc_ctx_new(&f->ctx, &f->loop, &o, f->sec), 0);
    const char *net = getenv("SIPC_TEST_NET");
    char host[64];
    snprintf(host, sizeof host, "%s.1", net ? net : "127.0.72");
    assert_int_equal(sipc_server_listen(&f->srv, f->ctx, "Management", host, 0, f->router), 0);
    f->port = sipc_server_port(f->srv);
    f->home = tu_mkdtemp("ctlstatus");
    char path[700];
    snprintf(path, sizeof path, "%s/sipc.conf", f->home);
    FILE *c = fopen(path, "w");
    assert_non_null(c);
    fprintf(c, "[node]\nid = ctl\naddress = %s\n[cluster]\nname = test\n", host);
    fclose(c);
    assert_int_equal(uv_async_init(&f->loop, &f->stop, on_stop), 0);
    f->stop.data = f;
    assert_int_equal(uv_thread_create(&f->thread, run_loop, f), 0);

    static char out[16384];
    /* nodes still permissive, no plaintext peer left: migrating (2), and
     * what --expect-mode permissive waits for */
    static const char migrating[] =
        "{\"schema\": 1, \"ok\": false, \"nodes\": [], \"problems\": [{\"node\": \"n2\", "
        "\"address\": \"10.0.0.2\", \"kind\": \"permissive\", \"message\": \"n2 still accepts "
        "plaintext (mode permissive): once every node has TLS, run `tlstool mode strict --reload` on it\"}]}";
    int rc = ctl(f, migrating, "", out, sizeof out);
    if (rc != 2)
        fail_msg("no health, only permissive: exit %d\n%s", rc, out);
    assert_non_null(strstr(out, "cluster MIGRATING"));
    assert_int_equal(ctl(f, migrating, "--json", out, sizeof out), 2);
    /* an answer listing no node is no cluster in any mode */
    rc = ctl(f, migrating, "--expect-mode permissive", out, sizeof out);
    if (rc != 1 || !strstr(out, "cluster NOT IN MODE permissive: the answer lists no node; 1 "
                                "finding:"))
        fail_msg("no node, --expect-mode permissive: exit %d\n%s", rc, out);
    assert_int_equal(ctl(f, migrating, "--expect-mode permissive --json", out, sizeof out), 1);
    assert_non_null(strstr(out, "\"expect_met\": false"));
    /* with a node in the mode: met; the headline says what the exit code
     * says, and so does the JSON beside "ok"/"health", which keep grading
     * the cluster */
    static const char migrating1[] =
        "{\"schema\": 1, \"ok\": false, \"nodes\": [{\"reachable\": true, \"address\": "
        "\"10.0.0.2:23002\", \"node\": {\"id\": \"n2\"}, \"tls\": {\"enabled\": true, "
        "\"mode\": \"permissive\"}}], \"problems\": [{\"node\": \"n2\", \"address\": "
        "\"10.0.0.2\", \"kind\": \"permissive\", \"message\": \"n2 still accepts plaintext "
        "(mode permissive): once every node has TLS, run `tlstool mode strict --reload` on it\"}]}";
    rc = ctl(f, migrating1, "--expect-mode permissive", out, sizeof out);
    if (rc != 0 || !strstr(out, "cluster IN MODE permissive: 1 node, every one permissive, "
                                "nothing else flagged") ||
        strstr(out, "MIGRATING"))
        fail_msg("--expect-mode permissive met: exit %d\n%s", rc, out);
    assert_int_equal(ctl(f, migrating1, "--expect-mode permissive --json", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"expect_mode\": \"permissive\""));
    assert_non_null(strstr(out, "\"expect_met\": true"));
    assert_non_null(strstr(out, "\"ok\": false"));
    assert_int_equal(ctl(f, migrating, "--expect-mode strict", out, sizeof out), 1);
    if (!strstr(out, "cluster NOT IN MODE strict: the answer lists no node; 1 finding:"))
        fail_msg("--expect-mode strict not met:\n%s", out);
    assert_int_equal(ctl(f, migrating, "--expect-mode strict --json", out, sizeof out), 1);
    assert_non_null(strstr(out, "\"expect_met\": false"));
    /* anything else is a problem (1); nothing at all is ok (0) */
    static const char held[] =
        "{\"schema\": 1, \"ok\": false, \"nodes\": [], \"problems\": [{\"node\": \"n2\", "
        "\"address\": \"10.0.0.2\", \"kind\": \"held_back\", \"message\": \"n2 runs permissive\"}, "
        "{\"node\": \"n3\", \"address\": \"10.0.0.3\", \"kind\": \"permissive\", \"message\": "
        "\"n3 still accepts plaintext\"}]}";
    assert_int_equal(ctl(f, held, "", out, sizeof out), 1);
    assert_int_equal(ctl(f, held, "--expect-mode permissive", out, sizeof out), 1);
    /* every node permissive, a guard entry left: the wait goes on (1), and
     * the headline counts the guard entry, not the nodes' being permissive,
     * which is the mode asked for */
    static const char guard_left[] =
        "{\"schema\": 1, \"ok\": false, \"health\": \"problems\", \"nodes\": [{\"reachable\": "
        "true, \"address\": \"10.0.0.1:23002\", \"node\": {\"id\": \"n1\"}, \"tls\": "
        "{\"enabled\": true, \"mode\": \"permissive\"}}, {\"reachable\": true, \"address\": "
        "\"10.0.0.2:23002\", \"node\": {\"id\": \"n2\"}, \"tls\": {\"enabled\": true, "
        "\"mode\": \"permissive\"}}], \"problems\": [{\"node\": \"n1\", \"kind\": "
        "\"permissive\", \"message\": \"n1 still accepts plaintext\"}, {\"node\": \"n1\", "
        "\"kind\": \"guard_peer\", \"message\": \"n1's strict guard saw 10.0.0.9\"}, {\"node\": "
        "\"n2\", \"kind\": \"permissive\", \"message\": \"n2 still accepts plaintext\"}]}";
    rc = ctl(f, guard_left, "--expect-mode permissive", out, sizeof out);
    if (rc != 1 ||
        !strstr(out, "cluster NOT IN MODE permissive: all 2 nodes run permissive, but 1 finding "
                     "is left:\n  - n1's strict guard saw 10.0.0.9\n(2 nodes still accept "
                     "plaintext, mode permissive: the mode asked for, not listed)\n") ||
        strstr(out, "n2 still accepts plaintext"))
        fail_msg("every node permissive, a guard entry left, --expect-mode permissive: exit "
                 "%d\n%s",
                 rc, out);
    static const char fine[] = "{\"schema\": 1, \"ok\": true, \"nodes\": [], \"problems\": []}";
    assert_int_equal(ctl(f, fine, "", out, sizeof out), 0);
    /* nothing flagged, but a node in another mode: not "cluster OK" */
    static const char strict[] =
        "{\"schema\": 1, \"ok\": true, \"health\": \"ok\", \"nodes\": [{\"reachable\": true, "
        "\"address\": \"10.0.0.1:23002\", \"node\": {\"id\": \"n1\"}, \"tls\": {\"enabled\": true, "
        "\"mode\": \"strict\"}}], \"problems\": []}";
    assert_int_equal(ctl(f, strict, "--expect-mode permissive", out, sizeof out), 1);
    if (strstr(out, "cluster OK") ||
        !strstr(out, "cluster NOT IN MODE permissive: 1 node in another mode (named below); 0 "
                     "findings\n") ||
        !strstr(out, "NOT IN MODE permissive: n1 (strict)\n"))
        fail_msg("all strict, --expect-mode permissive:\n%s", out);
    assert_int_equal(ctl(f, strict, "--expect-mode permissive --json", out, sizeof out), 1);
    assert_non_null(strstr(out, "\"expect_met\": false"));
    assert_non_null(strstr(out, "\"runs\": \"strict\""));
    /* TLS off beside permissive nodes: a roll-out or roll-back half done,
     * migrating (2) with its own headline; --expect-mode off waits for the
     * rest of a roll-back */
    static const char half_off[] =
        "{\"schema\": 1, \"ok\": false, \"health\": \"migrating\", \"nodes\": [{\"reachable\": "
        "true, \"address\": \"10.0.0.1:23002\", \"node\": {\"id\": \"n1\"}, \"tls\": "
        "{\"enabled\": false}}, {\"reachable\": true, \"address\": \"10.0.0.2:23002\", \"node\": "
        "{\"id\": \"n2\"}, \"tls\": {\"enabled\": true, \"mode\": \"permissive\"}}], "
        "\"problems\": [{\"node\": \"n1\", \"kind\": \"tls_off\", \"message\": \"n1 has TLS "
        "off\"}, {\"node\": \"n2\", \"kind\": \"permissive\", \"message\": \"n2 runs TLS "
        "permissive\"}]}";
    expect_cluster(f, half_off, "", 2, "cluster MIGRATING: TLS is off on 1 of 2 nodes, permissive "
                                       "on the others: no node refuses another");
    assert_null(strstr(last_out, "TLS is on everywhere"));
    expect_cluster(f, half_off, "--expect-mode off", 1,
                   "cluster NOT IN MODE off: 1 node in another mode (named below)");
    assert_non_null(strstr(last_out, "NOT IN MODE off: n2 (permissive)\n"));
    static const char all_off[] =
        "{\"schema\": 1, \"ok\": true, \"health\": \"ok\", \"nodes\": [{\"reachable\": true, "
        "\"address\": \"10.0.0.1:23002\", \"node\": {\"id\": \"n1\"}, \"tls\": {\"enabled\": "
        "false}}], \"problems\": []}";
    expect_cluster(f, all_off, "--expect-mode off", 0,
                   "cluster IN MODE off: 1 node, every one with TLS off, nothing else flagged");
    expect_cluster(f, all_off, "--expect-mode strict", 1, "NOT IN MODE strict: n1 (TLS off)\n");
    expect_cluster(f, all_off, "--expect-mode bogus", 64,
                   "--expect-mode must be off, permissive or strict, not 'bogus'");
    /* an unreachable node (no id) is named by its address, as problems[] name it */
    static const char down[] =
        "{\"schema\": 1, \"ok\": false, \"nodes\": [{\"reachable\": false, \"address\": "
        "\"10.0.0.3\"}], \"problems\": [{\"node\": \"10.0.0.3\", \"address\": \"10.0.0.3\", "
        "\"kind\": \"unreachable\", \"message\": \"10.0.0.3 cannot be reached\"}]}";
    assert_int_equal(ctl(f, down, "--expect-mode strict --json", out, sizeof out), 1);
    const char *nim = strstr(out, "\"not_in_mode\"");
    if (!nim || !strstr(nim, "\"node\": \"10.0.0.3\""))
        fail_msg("unreachable node in not_in_mode:\n%s", out);
    /* --json: a failure is JSON on stdout too, with the reason */
    rc = ctl(f, "not json", "--json 2>/dev/null", out, sizeof out);
    if (rc != 76 || !strstr(out, "\"ok\": false") || !strstr(out, "\"exit_code\": 76") ||
        !strstr(out, "\"error\": \"management.cluster from ") || !strstr(out, "is not JSON"))
        fail_msg("an answer that is not JSON, --json: exit %d\n%s", rc, out);
    /* a reason that is not UTF-8 still makes a JSON object, the bad bytes
     * shown as \xNN (as on the terminal) */
    rc = ctl(f, "error:caf\xc3 \xff broke", "--json 2>/dev/null", out, sizeof out);
    if (rc == 0 || !strstr(out, "\"ok\": false") || !strstr(out, "caf\\\\xc3 \\\\xff broke"))
        fail_msg("an error that is not UTF-8, --json: exit %d\n%s", rc, out);
    /* a usage mistake goes to stderr only, even with --json */
    rc = ctl(f, fine, "--json --node 127.0.0.1:bogus 2>/dev/null", out, sizeof out);
    if (rc != 64 || out[0])
        fail_msg("a bad --node, --json: exit %d\n%s", rc, out);
    /* and when the node cannot be reached (nothing listens on port 9) */
    const char *bin = getenv("SIPC_TEST_BIN"), *tnet = getenv("SIPC_TEST_NET");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s/sipcctl' --home '%s' --node %s.1:9 status --cluster --json --expect-mode strict "
             "2>/dev/null",
             bin ? bin : ".", f->home, tnet ? tnet : "127.0.72");
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    size_t got = fread(out, 1, sizeof out - 1, pp);
    out[got] = '\0';
    int st = pclose(pp);
    if (!WIFEXITED(st) || WEXITSTATUS(st) == 0 || !strstr(out, "\"ok\": false") ||
        !strstr(out, "\"error\": \"") || !strstr(out, "\"expect_met\": false"))
        fail_msg("nothing listening, --json: %s", out);
    /* a current answer's "health" is taken as it stands */
    static const char said[] =
        "{\"schema\": 1, \"ok\": false, \"health\": \"problems\", \"nodes\": [], \"problems\": "
        "[{\"node\": \"n2\", \"address\": \"10.0.0.2\", \"kind\": \"permissive\", \"message\": "
        "\"n2 still accepts plaintext\"}]}";
    assert_int_equal(ctl(f, said, "", out, sizeof out), 1);
    /* a rolling upgrade asked through a node of the older build (no
     * "notes"): the nodes' builds differ, n1's status has none; a note, no
     * problem (exit 0), each node's build shown */
    static const char mixed[] =
        "{\"schema\": 1, \"ok\": true, \"nodes\": [{\"reachable\": true, \"address\": "
        "\"10.0.0.1:23002\", \"node\": {\"id\": \"n1\", \"version\": \"sipc 0.1.0 (protocol 1); "
        "TLS engine: x\"}, \"tls\": {\"enabled\": false}}, {\"reachable\": true, \"address\": "
        "\"10.0.0.2:23002\", \"node\": {\"id\": \"n2\", \"build\": \"0123456789ab\", "
        "\"version\": \"sipc 0.1.0 (protocol 1, build 0123456789ab); TLS engine: x\"}, "
        "\"tls\": {\"enabled\": false}}], \"problems\": []}";
    rc = ctl(f, mixed, "", out, sizeof out);
    if (rc != 0 || !strstr(out, "cluster OK: 2 nodes, no problem (notes below)\n") ||
        !strstr(out, "note: the nodes run different builds: not reported (older) (n1); "
                     "0123456789ab (n2); expected during a rolling upgrade") ||
        !strstr(out, "  build: not reported (a sipcd older than build identities)\n") ||
        !strstr(out, "  sipc 0.1.0 (protocol 1, build 0123456789ab); TLS engine: x\n"))
        fail_msg("mixed builds, older coordinator: exit %d\n%s", rc, out);
    assert_int_equal(ctl(f, mixed, "--json", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"kind\": \"mixed_builds\""));

    /* a node's status whose log files dropped lines at their daily cap
     * says so beside "logs: ok"; none dropped, only "logs: ok" */
    rc = logs_status(f, 1, 4711, 268435456, out, sizeof out);
    if (!strstr(out, "\n  logs: ok\n  logs: 4711 lines below ERROR dropped: a day's file reached "
                     "its cap of 256 MiB ([logs] max_file_size) (one of today's is at it)\n"))
        fail_msg("status with lines dropped: exit %d\n%s", rc, out);
    /* a cap set below a MiB reads as set, not as 0 MiB */
    rc = logs_status(f, 0, 1, 65536, out, sizeof out);
    if (!strstr(out, "\n  logs: 1 line below ERROR dropped: a day's file reached its cap of 64 KiB "
                     "([logs] max_file_size)\n"))
        fail_msg("status with a 64 KiB cap: exit %d\n%s", rc, out);
    rc = logs_status(f, 0, 0, 268435456, out, sizeof out);
    if (!strstr(out, "\n  logs: ok\n") || strstr(out, "dropped"))
        fail_msg("status without lines dropped: exit %d\n%s", rc, out);

    /* a pipeline destination judged unresponsive is said under its link,
     * which is still up; the search's link to the same node is not */
    static const char silent[] =
        "{\"schema\": 1, \"links\": [{\"service\": \"search\", \"address\": \"10.0.0.3:23001\", "
        "\"node\": \"n3\", \"up\": true, \"tls\": false}, {\"service\": \"pipeline\", "
        "\"address\": \"10.0.0.3:23000\", \"node\": \"n3\", \"up\": true, \"tls\": false}], "
        "\"pipeline\": {\"unresponsive_ms\": 5000, \"unresponsive\": [{\"address\": "
        "\"10.0.0.3:23000\", \"node\": \"n3\", \"silent_ms\": 7310}]}}";
    rc = ctl_run(f, silent, 0, "", out, sizeof out);
    const char *line = strstr(out, "pipeline   -> 10.0.0.3:23000         up, plaintext\n"
                                   "      UNRESPONSIVE: nothing received for 7310 ms while records "
                                   "waited; they are answered UNAVAILABLE at once until it answers "
                                   "again\n");
    if (!line || strstr(out, "UNRESPONSIVE") != strstr(line, "UNRESPONSIVE"))
        fail_msg("status with an unresponsive destination: exit %d\n%s", rc, out);

    uv_async_send(&f->stop);
    uv_thread_join(&f->thread);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    sipc_router_free(f->router);
    sipc_security_release(f->sec);
    uv_mutex_destroy(&f->lock);
    tu_rmdir(f->home);
    free(f->home);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(older_coordinator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
