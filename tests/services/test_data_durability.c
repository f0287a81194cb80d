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
#include <sys/prctl.h>
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
        /* a failed assertion in the parent must not leave the server running */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
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

/* ---------------------------------------------- one job, one rollback */

/* Sends a put_batch of n records id-0.. with bodies of body_len bytes. */
static void put_records(const char *id, int n, size_t body_len, dw_result *a)
{
    static char body[1000001];
    memset(body, 'b', body_len);
    body[body_len] = '\0';
    trec t[8];
    Sipc__Data__Record *recs[8];
    char ids[8][32];
    assert_true(n <= 8);
    for (int k = 0; k < n; k++) {
        snprintf(ids[k], sizeof ids[k], "%s-%d", id, k);
        recs[k] = mk(&t[k], ids[k], 1700000000000 + k, body, NULL);
    }
    Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
    m.records = recs;
    m.n_records = (size_t)n;
    size_t len = sipc__data__put_batch_request__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    sipc__data__put_batch_request__pack(&m, buf);
    assert_int_equal(sipc_call(g.ch, SIPC_DATA_SERVICE, "put_batch", buf, len, 20000, dw_on_result, a),
                     0);
    free(buf);
}

static int stored_count(const char *path, const char *prefix)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE id LIKE '%s-%%'", prefix);
    return (int)dw_count(path, sql);
}

/* Three writes in one job: a small one, one of 8 MB that spills SQLite's
 * page cache past the file size limit (an I/O error: SQLite rolls back the
 * whole transaction), a small one. The first is gone with the rollback, so
 * all three must be refused, and none stored: before, the third was stored
 * by a transaction its savepoint opened by itself and yet answered as
 * failed, and a successful final commit would have answered the first as
 * stored though it was not. The job is made one by holding the database's
 * write lock from here while the three are queued. */
static void t_rollback_fails_the_whole_job(void **state)
{
    const char *self = *(const char **)*state;
    memset(&g, 0, sizeof g);
    char *home = tu_mkdtemp("datajob");
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/data", home);
    snprintf(path, sizeof path, "%s/records.db", dir);
    client cl;
    pid_t pid = start_child(&cl, self, dir, 3L << 19); /* 1.5 MiB a file */
    dw_result x = {0}, a = {0}, b = {0}, c = {0};
    put_records("x", 1, 10, &x);
    assert_true(tu_run_until(&cl.loop, &x.done, 10000));
    assert_int_equal(x.err, 0);

    sqlite3 *lock;
    assert_int_equal(sqlite3_open(path, &lock), SQLITE_OK);
    assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    dw_result y = {0};
    put_records("y", 1, 10, &y); /* its job waits for the lock */
    int none = 0;
    tu_run_until(&cl.loop, &none, 200);
    put_records("a", 1, 10, &a);
    put_records("b", 8, 1000000, &b);
    put_records("c", 1, 10, &c);
    tu_run_until(&cl.loop, &none, 300); /* all three queued behind y's job */
    assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lock);
    assert_true(tu_run_until(&cl.loop, &c.done, 20000));
    assert_true(a.done && b.done && y.done);
    kill(pid, SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    client_close(&cl);

    assert_int_equal(y.err, 0);
    assert_int_equal(stored_count(path, "y"), 1);
    int stored_a = stored_count(path, "a"), stored_b = stored_count(path, "b"),
        stored_c = stored_count(path, "c");
    fprintf(stderr, "one job: a %s stored %d; b %s stored %d (%s); c %s stored %d (%s)\n",
            a.err ? "refused" : "acknowledged", stored_a, b.err ? "refused" : "acknowledged",
            stored_b, b.message, c.err ? "refused" : "acknowledged", stored_c, c.message);
    assert_int_equal(b.err, SIPC_EREMOTE);
    assert_int_equal(b.status, SIPC_DATA_STORAGE);
    assert_int_equal(stored_b, 0);
    /* a and c: answered as they are stored */
    assert_int_equal(a.err == 0, stored_a == 1);
    assert_int_equal(c.err == 0, stored_c == 1);
    assert_int_equal(stored_a + stored_c, 0); /* the whole job is refused */
    dw_result *all[] = {&x, &y, &a, &b, &c};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        dw_result_free(all[k]);
    check_db(path);
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
        cmocka_unit_test_prestate(t_rollback_fails_the_whole_job, &selfp),
    };
    return cmocka_run_group_tests_name("data service durability", tests, NULL, NULL);
}
