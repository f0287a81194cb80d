/* test_pipeline_cli.c - `sipcctl ingest` run as a program against a
 * pipeline and three data services in this process (the loop serves them
 * while sipcctl runs): the summary, bad lines named by number, records the
 * data service rejects, a resent file, --to, and the exit codes; over
 * plaintext and over TLS (the home holding the imported pair). */
#include <fcntl.h>
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

#include "pipeline_test_support.h"

static sipc_tls_mode g_mode;
static char g_pem[512];

typedef struct run {
    int done;
    int64_t status;
    char out[8192], err[8192];
} run;

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    run *r = p->data;
    r->status = sig ? -sig : status;
    r->done = 1;
    uv_close((uv_handle_t *)p, NULL);
}

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs sipcctl --home home ARGS... while the loop serves the cluster. */
static void ctl(pw *w, const char *home, run *r, ...)
{
    const char *bin = getenv("SIPC_TEST_BIN");
    assert_non_null(bin);
    char exe[600], out[700], err[700];
    snprintf(exe, sizeof exe, "%s/sipcctl", bin);
    snprintf(out, sizeof out, "%s/ctl.out", home);
    snprintf(err, sizeof err, "%s/ctl.err", home);
    char *argv[24] = {exe, "--home", (char *)home};
    int argc = 3;
    va_list ap;
    va_start(ap, r);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && argc < 23)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    int fo = open(out, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    int fe = open(err, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    assert_true(fo >= 0 && fe >= 0);
    uv_stdio_container_t io[3] = {{UV_IGNORE, {0}}, {UV_INHERIT_FD, {.fd = fo}},
                                  {UV_INHERIT_FD, {.fd = fe}}};
    uv_process_options_t po;
    memset(&po, 0, sizeof po);
    po.file = exe;
    po.args = argv;
    po.exit_cb = on_exit_cb;
    po.stdio = io;
    po.stdio_count = 3;
    uv_process_t proc;
    memset(r, 0, sizeof *r);
    proc.data = r;
    int rc = uv_spawn(&w->loop, &proc, &po);
    if (rc != 0)
        fail_msg("spawn %s: %s", exe, uv_strerror(rc));
    close(fo);
    close(fe);
    assert_true(tu_run_until(&w->loop, &r->done, 60000));
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

static void expect_run(const run *r, int status, const char *out_needle, const char *err_needle)
{
    if (r->status != status || (out_needle && !strstr(r->out, out_needle)) ||
        (err_needle && !strstr(r->err, err_needle)))
        fail_msg("sipcctl exit %lld (want %d)\nwant stdout '%s', stderr '%s'\n--- stdout\n%s--- stderr\n%s",
                 (long long)r->status, status, out_needle ? out_needle : "",
                 err_needle ? err_needle : "", r->out, r->err);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

/* A client home: this cluster's name and, with_pair, TLS and the imported
 * pair. */
static char *client_home(int with_pair)
{
    char *home = tu_mkdtemp("pipecli");
    assert_non_null(home);
    char path[700], conf[300];
    snprintf(conf, sizeof conf, "[node]\nid = cli\n[cluster]\nname = test\n%s",
             with_pair ? "[tls]\nenable = 1\n" : "");
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    write_file(path, conf, 0600);
    if (with_pair) {
        snprintf(path, sizeof path, "%s/security", home);
        assert_int_equal(mkdir(path, 0700), 0);
        FILE *in = fopen(g_pem, "r");
        assert_non_null(in);
        static char pem[16384];
        size_t n = fread(pem, 1, sizeof pem - 1, in);
        pem[n] = '\0';
        fclose(in);
        snprintf(path, sizeof path, "%s/security/node.crt", home);
        write_file(path, pem, 0600);
    }
    return home;
}

/* N good records, with a few bad lines in between at known line numbers. */
static void write_records(const char *path, int n, int with_bad)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        if (with_bad && i == 4)
            fputs("{\"id\": \"broken\", \"timestamp\": \n", f); /* line 5 */
        if (with_bad && i == 8)
            fputs("{\"id\": \"no-time\"}\n", f); /* line 10 */
        if (with_bad && i == 16)
            /* line 19: good JSON, but the data service refuses U+0000 in an id;
             * U+009B (CSI) must not reach the terminal when it is shown */
            fputs("{\"id\": \"nul\\u0000\\u009b2J\\u00e9id\", \"timestamp_ms\": 5}\n", f);
        if (i == 30)
            fputs("\n", f); /* a blank line is no record and no error */
        fprintf(f,
                "{\"id\": \"cli-%05d\", \"timestamp\": \"2026-11-23T10:%02d:%02d.%03dZ\", "
                "\"attributes\": {\"user\": \"u%d\"}, \"body\": \"line %d\"}\n",
                i, (i / 60) % 60, i % 60, i % 1000, i % 5, i);
    }
    fclose(f);
}

static void t_ingest_cli(void **state)
{
    (void)state;
    pw *w = pw_start(g_mode, g_mode, g_pem, NULL, NULL);
    char *home = client_home(g_mode != SIPC_TLS_OFF);
    char node[64], file[700], clean[700];
    snprintf(node, sizeof node, "127.0.0.1:%d", w->pport);
    snprintf(file, sizeof file, "%s/records.ndjson", home);
    snprintf(clean, sizeof clean, "%s/clean.ndjson", home);
    enum { N = 1200 };
    write_records(file, N, 1);
    write_records(clean, N, 0);
    run r;

    /* bad lines and a rejected record: the rest is acknowledged, exit 65 */
    ctl(w, home, &r, "ingest", file, "--node", node, NULL);
    expect_run(&r, 65, "sent: 1201\nacknowledged: 1200 (created 1200, unchanged 0, replaced 0)\n"
                       "rejected: 1\n  1 x INVALID: id is not valid UTF-8",
               "line 5: column");
    assert_non_null(strstr(r.err, "line 10: timestamp is missing"));
    assert_non_null(strstr(r.err, "line 5: column 31: ")); /* past the line's end */
    assert_non_null(
        strstr(r.err, "line 19 (id nul\\x00\\xc2\\x9b2J\xc3\xa9id): rejected by 127.0.0.1:"));
    assert_non_null(strstr(r.out, "bad lines: 2\n"));
    assert_non_null(strstr(r.out, "not acknowledged: 0\n"));
    assert_non_null(strstr(r.out, "records/s"));
    size_t total = 0;
    for (int i = 0; i < PW_NODES; i++) {
        size_t n;
        char **ids = pw_stored_ids(w, i, &n);
        total += n;
        pw_ids_free(ids, n);
    }
    assert_int_equal(total, N);
    /* --json names each record that failed, with its line and id, so that a
     * script resends just those */
    ctl(w, home, &r, "ingest", file, "--node", node, "--json", NULL);
    expect_run(&r, 65, "\"failed\": [", NULL);
    assert_non_null(strstr(r.out, "\"line\": 19,"));
    assert_non_null(strstr(r.out, "\"id\": \"nul\\u0000"));
    assert_non_null(strstr(r.out, "\"status\": \"rejected\""));

    /* nothing but a bad line: nothing sent, no rate; the column of its first character */
    char junk[700];
    snprintf(junk, sizeof junk, "%s/junk.ndjson", home);
    FILE *jf = fopen(junk, "w");
    assert_non_null(jf);
    fputs("not json\n", jf);
    fclose(jf);
    ctl(w, home, &r, "ingest", junk, "--node", node, NULL);
    expect_run(&r, 65, "sent: 0\n", "line 1: column 1: ");
    assert_non_null(strstr(r.out, "bad lines: 1\n"));
    assert_null(strstr(r.out, "rate:"));

    /* the same records again from stdin... of a file: nothing new, exit 0 */
    ctl(w, home, &r, "ingest", clean, "--node", node, "--json", NULL);
    expect_run(&r, 0, "\"unchanged\": 1200", NULL);
    assert_non_null(strstr(r.out, "\"acknowledged\": 1200"));
    assert_non_null(strstr(r.out, "\"bad_lines\": 0"));

    /* --to: one node; an unknown one is a usage error */
    ctl(w, home, &r, "ingest", clean, "--node", node, "--to", w->n[2].name, NULL);
    expect_run(&r, 0, "acknowledged: 1200", NULL);
    ctl(w, home, &r, "ingest", clean, "--node", node, "--to", "nowhere:9", NULL);
    expect_run(&r, 64, NULL, "to_node 'nowhere:9' is not a destination");
    /* refused whole: not "not acknowledged" (sending again cannot help) */
    assert_non_null(strstr(r.out, "not acknowledged: 0\n"));
    assert_non_null(strstr(r.out, "refused by the pipeline: 1200 (UNKNOWN_NODE: to_node 'nowhere:9' "
                                  "is not a destination; they are: "));
    assert_null(strstr(r.out, "rate:")); /* sent, none taken: no rate of nothing */
    ctl(w, home, &r, "ingest", clean, "--node", node, "--to", "nowhere:9", "--json", NULL);
    expect_run(&r, 64, "\"refused\": 1200,", NULL);
    assert_non_null(strstr(r.out, "\"unavailable\": 0,"));

    if (g_mode == SIPC_TLS_STRICT) {
        /* a home without the pair reaches the node, which refuses plaintext:
         * the summary says so, not only stderr */
        char *plain = client_home(0);
        ctl(w, plain, &r, "ingest", clean, "--node", node, NULL);
        expect_run(&r, 76, "read but not sent: 1200 (no connection to the node came up: peer "
                           "speaks TLS where plaintext is configured)\n",
                   "SIPC_ETLSONPLAIN");
        tu_rmdir(plain);
        free(plain);
    }

    /* no pipeline there, or no such file */
    pw_node_down(w, 0); /* frees a port nobody listens on */
    snprintf(node, sizeof node, "127.0.0.1:%d", w->n[0].port);
    ctl(w, home, &r, "ingest", clean, "--node", node, NULL);
    expect_run(&r, 69, "acknowledged: 0", "pipeline.ingest to 127.0.0.1:");
    /* nothing left this machine: not counted as sent, nor as unacknowledged */
    assert_non_null(strstr(r.out, "sent: 0\n"));
    assert_null(strstr(r.out, "rate:")); /* no rate of nothing */
    assert_non_null(strstr(r.out, "not acknowledged: 0\n"));
    assert_non_null(strstr(r.out, "read but not sent: 1200 (no connection to the node came up: "
                                  "connection refused)\n"));
    ctl(w, home, &r, "ingest", clean, "--node", node, "--json", NULL);
    expect_run(&r, 69, "\"read_not_sent\": 1200", NULL);
    assert_non_null(strstr(r.out, "\"sent\": 0,"));
    /* a file longer than the batches in flight when it stopped: what was
     * never read is said too, the lines after the last one read */
    char big[700];
    snprintf(big, sizeof big, "%s/big.ndjson", home);
    enum { BIG = 6000 };
    write_records(big, BIG, 0);
    ctl(w, home, &r, "ingest", big, "--node", node, NULL);
    expect_run(&r, 69, "acknowledged: 0", "pipeline.ingest to 127.0.0.1:");
    unsigned long long not_sent = 0, after = 0;
    const char *ns = strstr(r.out, "\nnot sent: ");
    if (!ns)
        fail_msg("no 'not sent' in: %s", r.out);
    assert_int_equal(sscanf(ns, "\nnot sent: %llu (the lines after line %llu", &not_sent, &after), 2);
    assert_true(not_sent > 0);
    assert_int_equal(after + not_sent, BIG + 1); /* the blank line 31 was read */
    ctl(w, home, &r, "ingest", "/nonexistent/records.ndjson", NULL);
    expect_run(&r, 66, NULL, "/nonexistent/records.ndjson");
    pw_node_up(w, 0);

    tu_rmdir(home);
    free(home);
    pw_stop(w);
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
    char *certs = tu_mkdtemp("pipeclicerts");
    if (!certs || tu_make_pair(certs, "node", "ec", 30, NULL, "sipc pipeline cli test") != 0) {
        fprintf(stderr, "cannot generate a test certificate with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", certs);
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_ingest_cli)};
    int fails = 0;
    fails += cmocka_run_group_tests_name("sipcctl ingest over plaintext", tests, setup_plain, NULL);
    fails += cmocka_run_group_tests_name("sipcctl ingest over TLS", tests, setup_tls, NULL);
    tu_rmdir(certs);
    free(certs);
    return fails ? 1 : 0;
}
