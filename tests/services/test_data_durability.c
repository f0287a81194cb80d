/* test_data_durability.c - no acknowledged record is lost when the data
 * service's process is killed, or when its disk fills up.
 *
 * The test re-executes itself as a child ("--serve DIR") that runs the data
 * service (sync = normal) on 127.0.0.1 and prints its port. The parent keeps
 * a window of puts and put_batches in flight over the transport, notes every
 * acknowledged id, and SIGKILLs the child while requests are still in flight
 * (so, most likely, with a transaction open). Then it opens the database the
 * way a restarted service would and checks every acknowledged id is there
 * and the database and its full-text index are intact.
 *
 * The full disk: the child runs with a file size limit (RLIMIT_FSIZE, so a
 * write past it fails as on a full disk) while the parent keeps large puts
 * in flight; transactions big enough to spill SQLite's page cache fail in
 * the middle, which makes SQLite roll back the whole transaction. Every put
 * answered as written must be there afterwards, and the refused ones must
 * say STORAGE. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data_store.h"
#include "data_test_support.h"

enum {
    WINDOW = 64,    /* requests in flight */
    KILL_AT = 400,  /* acknowledgements before the kill */
    MAX_REQ = 4096, /* requests at most */
    BATCH = 5       /* records in every 10th request, a put_batch */
};

/* ------------------------------------------------------------- child */

static int serve(const char *dir, long fsize)
{
    if (fsize > 0) {
        /* writes past the limit fail with EFBIG instead of killing us */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
            perror("child: setrlimit");
            return 1;
        }
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    sipc_data *d;
    char err[512];
    sipc_data_options o;
    sipc_data_options_init(&o);
    o.sync = SIPC_DATA_SYNC_NORMAL;
    if (sipc_data_open(&d, &loop, dir, &o, err, sizeof err) != 0) {
        fprintf(stderr, "child: %s\n", err);
        return 1;
    }
    sipc_router *r;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_server *srv;
    sipc_options so;
    sipc_options_init(&so);
    so.cluster = "test";
    if (sipc_router_new(&r) != 0 || sipc_data_register(d, r) != 0 ||
        sipc_security_plain(&sec) != 0 || sipc_ctx_new(&ctx, &loop, &so, sec) != 0 ||
        sipc_server_listen(&srv, ctx, "Data Service", "127.0.0.1", 0, r) != 0) {
        fprintf(stderr, "child: cannot start the server\n");
        return 1;
    }
    printf("%d\n", sipc_server_port(srv));
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT); /* until killed */
    return 1;
}

/* ------------------------------------------------------------ parent */

static struct {
    sipc_channel *ch;
    pid_t pid;
    int next, inflight, nacked, killed, inflight_at_kill, errors_before_kill;
    uint8_t acked[MAX_REQ];
    /* the full disk: records of body_len bytes; issuing stops after
     * STORAGE_ENOUGH refusals */
    size_t body_len;
    int storage, other_errors, stopped;
    char storage_msg[300];
} g;

enum { STORAGE_ENOUGH = 40, BIG_BODY = 48 * 1024 };

static int is_batch(int i)
{
    return i % 10 == 9;
}

static void req_id(char *buf, size_t n, int i, int k)
{
    if (is_batch(i))
        snprintf(buf, n, "k-%06d-%d", i, k);
    else
        snprintf(buf, n, "k-%06d", i);
}

static void on_put(int err, const sipc_reply *rep, void *arg);

static void issue(void)
{
    static char big[BIG_BODY + 1];
    static uint8_t buf[BATCH * (BIG_BODY + 256)];
    while (!g.killed && !g.stopped && g.inflight < WINDOW && g.next < MAX_REQ) {
        int i = g.next++;
        char ids[BATCH][32], body[96];
        trec t[BATCH];
        Sipc__Data__Record *recs[BATCH];
        int n = is_batch(i) ? BATCH : 1;
        for (int k = 0; k < n; k++) {
            req_id(ids[k], sizeof ids[k], i, k);
            snprintf(body, sizeof body, "captured session %d part %d", i, k);
            if (g.body_len) { /* the words differ: the index grows too */
                size_t at = (size_t)snprintf(big, sizeof big, "%s", body);
                for (int w = 0; at < g.body_len; w++)
                    at += (size_t)snprintf(big + at, g.body_len + 1 - at, " w%d-%d", i, w);
            }
            recs[k] = mk(&t[k], ids[k], 1700000000000 + i, g.body_len ? big : body, "seq",
                         ids[k], NULL);
        }
        size_t len;
        const char *method;
        if (is_batch(i)) {
            Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
            m.records = recs;
            m.n_records = (size_t)n;
            len = sipc__data__put_batch_request__pack(&m, buf);
            method = "put_batch";
        } else {
            Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
            m.record = recs[0];
            len = sipc__data__put_request__pack(&m, buf);
            method = "put";
        }
        assert_int_equal(sipc_call(g.ch, SIPC_DATA_SERVICE, method, buf, len, 10000, on_put,
                                   (void *)(intptr_t)i),
                         0);
        g.inflight++;
    }
}

static void on_put(int err, const sipc_reply *rep, void *arg)
{
    int i = (int)(intptr_t)arg;
    g.inflight--;
    if (err == 0) {
        g.acked[i] = 1;
        g.nacked++;
    } else if (g.body_len) { /* the full disk */
        if (err == SIPC_EREMOTE && rep->status == SIPC_DATA_STORAGE) {
            if (!g.storage++)
                snprintf(g.storage_msg, sizeof g.storage_msg, "%s", rep->message);
            g.stopped = g.storage >= STORAGE_ENOUGH;
        } else {
            fprintf(stderr, "put %d: %s status %d: %s\n", i, sipc_err_name(err), rep->status,
                    rep->message);
            g.other_errors++;
        }
    } else if (!g.killed) {
        fprintf(stderr, "put %d failed before the kill: %s %s\n", i, sipc_err_name(err),
                rep->message);
        g.errors_before_kill++;
    }
    if (!g.killed && g.nacked >= KILL_AT) {
        kill(g.pid, SIGKILL);
        g.killed = 1;
        g.inflight_at_kill = g.inflight;
    }
    issue();
}

static int read_port(int fd)
{
    char line[32];
    size_t n = 0;
    while (n < sizeof line - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            return -1;
        ssize_t r = read(fd, line + n, 1);
        if (r <= 0)
            return -1;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    return atoi(line);
}

/* The parent's end: a loop and a plaintext channel to the child. */
typedef struct client {
    uv_loop_t loop;
    sipc_security *sec;
    sipc_ctx *ctx;
    tu_log log;
} client;

/* Starts "self --serve dir [fsize]" and opens g.ch to it. */
static pid_t start_child(client *cl, const char *self, const char *dir, long fsize)
{
    memset(cl, 0, sizeof *cl);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char limit[32];
    snprintf(limit, sizeof limit, "%ld", fsize);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(self, self, "--serve", dir, limit, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    g.pid = pid;
    int port = read_port(fds[0]);
    close(fds[0]);
    if (port <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the child did not start its data service");
    }
    assert_int_equal(uv_loop_init(&cl->loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.cluster = "test";
    o.reconnect_min_ms = 1000; /* no hurry to redial the dead child */
    o.log = tu_log_sink;
    o.log_arg = &cl->log;
    assert_int_equal(sipc_security_plain(&cl->sec), 0);
    assert_int_equal(sipc_ctx_new(&cl->ctx, &cl->loop, &o, cl->sec), 0);
    assert_int_equal(sipc_channel_open(&g.ch, cl->ctx, "127.0.0.1", port, NULL), 0);
    return pid;
}

static void client_close(client *cl)
{
    sipc_ctx_close(cl->ctx, NULL, NULL);
    assert_true(tu_drain(&cl->loop, 5000));
    assert_int_equal(uv_loop_close(&cl->loop), 0);
    sipc_security_release(cl->sec);
    tu_log_free(&cl->log);
}

static void check_db(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO records_fts(records_fts) VALUES('integrity-check')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

/* Every acknowledged id is in the database at path, opened as a restarted
 * service opens it; returns how many were checked. */
static int acked_all_stored(const char *path)
{
    data_store *s;
    char err[512];
    assert_int_equal(
        data_store_open(&s, path, DATA_STORE_WRITER, SIPC_DATA_SYNC_NORMAL, err, sizeof err), 0);
    int missing = 0, checked = 0;
    for (int i = 0; i < g.next; i++) {
        if (!g.acked[i])
            continue;
        for (int k = 0; k < (is_batch(i) ? BATCH : 1); k++) {
            char id[32];
            req_id(id, sizeof id, i, k);
            ProtobufCBinaryData b = bin(id);
            Sipc__Data__Record *r = NULL;
            assert_int_equal(data_store_get(s, &b, &r, err, sizeof err), 0);
            if (!r) {
                fprintf(stderr, "acknowledged record %s is missing\n", id);
                missing++;
            }
            checked++;
            data_store_record_free(r);
        }
    }
    data_store_close(s);
    assert_int_equal(missing, 0);
    return checked;
}

static void t_kill_loses_no_acknowledged_put(void **state)
{
    const char *self = *(const char **)*state;
    char *home = tu_mkdtemp("datakill");
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/data", home);
    snprintf(path, sizeof path, "%s/records.db", dir);
    client cl;
    pid_t pid = start_child(&cl, self, dir, 0);
    issue();
    assert_true(tu_run_until(&cl.loop, &g.killed, 20000));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    /* the calls in flight at the kill fail as the connection drops */
    int none = 0;
    for (int spins = 0; spins < 2000 && g.inflight > 0; spins++)
        tu_run_until(&cl.loop, &none, 10);
    assert_int_equal(g.inflight, 0);
    client_close(&cl);

    assert_int_equal(g.errors_before_kill, 0);
    assert_true(g.nacked >= KILL_AT);
    assert_true(g.inflight_at_kill > 0); /* killed mid-stream */

    /* open as a restarted service would: SQLite recovers from the WAL */
    check_db(path);
    assert_true(acked_all_stored(path) >= KILL_AT);
    tu_rmdir(home);
    free(home);
}

static void t_full_disk_loses_no_acknowledged_put(void **state)
{
    const char *self = *(const char **)*state;
    memset(&g, 0, sizeof g);
    g.body_len = BIG_BODY;
    char *home = tu_mkdtemp("datafull");
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/data", home);
    snprintf(path, sizeof path, "%s/records.db", dir);
    client cl;
    /* room for a few transactions of a window of puts, not for all */
    pid_t pid = start_child(&cl, self, dir, 6L << 20);
    issue();
    assert_true(tu_run_until(&cl.loop, &g.stopped, 60000));
    int none = 0;
    for (int spins = 0; spins < 3000 && g.inflight > 0; spins++)
        tu_run_until(&cl.loop, &none, 10);
    assert_int_equal(g.inflight, 0);
    kill(pid, SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    client_close(&cl);

    fprintf(stderr, "full disk: %d of %d requests acknowledged, %d refused with STORAGE (\"%s\")\n",
            g.nacked, g.next, g.storage, g.storage_msg);
    assert_int_equal(g.other_errors, 0);
    assert_true(g.nacked > 0);
    check_db(path);
    acked_all_stored(path);
    tu_rmdir(home);
    free(home);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--serve") == 0)
        return serve(argv[2], atol(argv[3]));
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "cannot find this program's path\n");
        return 1;
    }
    self[n] = '\0';
    const char *selfp = self;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(t_kill_loses_no_acknowledged_put, &selfp),
        cmocka_unit_test_prestate(t_full_disk_loses_no_acknowledged_put, &selfp),
    };
    return cmocka_run_group_tests_name("data service durability", tests, NULL, NULL);
}
