/* test_data_loop_fs.c - the data service never looks at the file system on
 * the loop's thread while the loop runs (stat, lstat, statvfs and access
 * block on a hung NFS mount, and the loop serves every service of the node):
 * a writer put in place by a later open, writes failing on a full disk or a
 * file system turned read-only, the probe that tells when they work again.
 * Those calls are counted by thread through the linker's --wrap; what the
 * service says still comes from them (the facts its jobs gathered). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data_store.h"
#include "data_test_support.h"

/* while counting: calls on files under home, made on the loop's thread
 * (the main one: the loop runs there) and on others (the thread pool) */
static int counting, loop_calls, pool_calls;
static char home_prefix[600];
static pthread_t main_thread;

static void count(const char *path)
{
    if (!counting || !home_prefix[0] || strncmp(path, home_prefix, strlen(home_prefix)))
        return;
    if (pthread_equal(pthread_self(), main_thread))
        __atomic_add_fetch(&loop_calls, 1, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&pool_calls, 1, __ATOMIC_RELAXED);
}

static void count_start(const char *home)
{
    snprintf(home_prefix, sizeof home_prefix, "%s", home);
    __atomic_store_n(&loop_calls, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&pool_calls, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}

static void count_stop(void)
{
    __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
}

/* fake_erofs: access(2) asking whether records.db can be written says EROFS
 * (the kernel's read-only state after an error, as data_open.c asks) */
static int fake_erofs;

/* SQLite's look whether a connection's name still leads to its file (a
 * stat by that name, inside SQLite, which --wrap cannot reach), counted
 * by thread like the calls above */
int __real_data_store_has_moved(data_store *s);
int __wrap_data_store_has_moved(data_store *s);
int __wrap_data_store_has_moved(data_store *s)
{
    count(home_prefix);
    return __real_data_store_has_moved(s);
}

/* while counting: stat of a records.db on the thread pool (the look's
 * whether the name still leads to the file open) */
static int db_stats;

int __real_stat(const char *path, struct stat *st);
int __wrap_stat(const char *path, struct stat *st);
int __wrap_stat(const char *path, struct stat *st)
{
    count(path);
    size_t n = strlen(path);
    if (__atomic_load_n(&counting, __ATOMIC_SEQ_CST) && n >= 11 &&
        !strcmp(path + n - 11, "/records.db") && !pthread_equal(pthread_self(), main_thread))
        __atomic_add_fetch(&db_stats, 1, __ATOMIC_RELAXED);
    return __real_stat(path, st);
}
int __real_lstat(const char *path, struct stat *st);
int __wrap_lstat(const char *path, struct stat *st);
int __wrap_lstat(const char *path, struct stat *st)
{
    count(path);
    return __real_lstat(path, st);
}
int __real_statvfs(const char *path, struct statvfs *v);
int __wrap_statvfs(const char *path, struct statvfs *v);
int __wrap_statvfs(const char *path, struct statvfs *v)
{
    count(path);
    return __real_statvfs(path, v);
}
int __real_access(const char *path, int mode);
int __wrap_access(const char *path, int mode);
int __wrap_access(const char *path, int mode)
{
    count(path);
    if (__atomic_load_n(&fake_erofs, __ATOMIC_RELAXED) && (mode & W_OK) &&
        strstr(path, "records.db")) {
        errno = EROFS;
        return -1;
    }
    return __real_access(path, mode);
}

/* fake_begin: a write transaction's BEGIN fails with this SQLite code
 * (SQLITE_FULL: a full disk; SQLITE_READONLY: a file system turned
 * read-only), as SQLite reports the file system's refusal */
static int fake_begin;
int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *arg, char **errmsg)
{
    int rc = __atomic_load_n(&fake_begin, __ATOMIC_RELAXED);
    if (rc && !strncmp(sql, "BEGIN IMMEDIATE", 15))
        return rc;
    return __real_sqlite3_exec(db, sql, cb, arg, errmsg);
}

/* A database that could not be opened at start (not a database at all),
 * replaced by a good one while the node runs: the later open puts the
 * writer in place, and what it then says and keeps of the files (read-only
 * file system, the file's identity, the files' signature) was gathered by
 * the open job, none of it on the loop's thread. A file system in the
 * kernel's read-only state is still said so, with its hint. */
static void t_later_open_off_loop(void **state)
{
    (void)state;
    main_thread = pthread_self();
    char *home = tu_mkdtemp("dataloopfs");
    char path[700], fresh[700], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    snprintf(fresh, sizeof fresh, "%s/records.new.db", home);
    dw_not_a_db(path);
    dw_make_db(fresh);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    int opened = 0;
    o.opened_cb = dw_set_flag;
    o.opened_arg = &opened;
    sipc_data *d = NULL;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    sipc_data_open_state os;
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 0);

    count_start(home);
    fake_erofs = 1;
    assert_int_equal(rename(fresh, path), 0);
    assert_true(tu_run_until(&loop, &opened, 10000));
    count_stop();
    fake_erofs = 0;
    assert_int_equal(loop_calls, 0);
    assert_true(pool_calls > 0);
    sipc_data_open_state_get(d, &os);
    assert_int_equal(os.open, 1);
    sipc_data_health wh, rh;
    sipc_data_health_get(d, &wh, &rh);
    assert_int_equal(wh.failing, 1);
    assert_non_null(strstr(wh.last_error, "the kernel's, after an error"));
    sipc_data_mark m;
    sipc_data_mark_get(d, &m);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(m.file, (uint64_t)st.st_ino);

    dw_data_close(&loop, d);
    tu_rmdir(home);
    free(home);
}

/* A data service with short waits, served and called over host, its log
 * in dlog; this thread is the loop's. */
static dw *loop_world(const char *host, tu_log *dlog)
{
    main_thread = pthread_self();
    sipc_data_options o;
    dw_test_options(&o, dlog);
    o.quiet_ms = 500; /* the probe's test write comes soon after */
    return dw_world(host, &o);
}

/* Writes that fail on a full disk, then on a file system the kernel made
 * read-only: the answer and the status say so with the hint (the write
 * job's facts), and once the file system is writable again the probe's
 * test write ends the failing (the look's facts). Neither the answers nor
 * the probe's timer look at the files on the loop's thread. */
static void t_write_failures_off_loop(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = loop_world("127.1.84.1", &dlog);
    char msg[600];
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);

    count_start(w->home);
    fake_begin = SQLITE_FULL;
    assert_int_equal(dw_put(w, "b", msg, sizeof msg), SIPC_DATA_STORAGE);
    fake_begin = SQLITE_READONLY;
    fake_erofs = 1;
    assert_int_equal(dw_put(w, "c", msg, sizeof msg), SIPC_DATA_STORAGE);
    sipc_data_health wh, rh;
    sipc_data_health_get(w->d, &wh, &rh);
    assert_int_equal(wh.failing, 1);
    assert_int_equal(wh.failures, 2);
    assert_non_null(strstr(wh.last_error, "the kernel's, after an error"));
    /* writable again: the probe writes once nothing failed for a while
     * (quiet_ms) and the looks see the file system writable */
    fake_begin = 0;
    fake_erofs = 0;
    uint64_t until = uv_now(&w->loop) + 20000;
    while (wh.failing && uv_now(&w->loop) < until) {
        int never = 0;
        tu_run_until(&w->loop, &never, 50);
        sipc_data_health_get(w->d, &wh, &rh);
    }
    count_stop();
    assert_int_equal(wh.failing, 0);
    assert_int_equal(loop_calls, 0);
    assert_true(pool_calls > 0);
    assert_true(tu_log_has(&dlog, "a test write succeeded"));
    assert_int_equal(dw_put(w, "d", msg, sizeof msg), 0);
    dw_world_end(w, &dlog);
}

/* records.db moved away with a read connection idle: the look that finds
 * it gone asks SQLite about each idle reader (a stat by name) and closes
 * those on the file the name leads to, off the loop's thread too. */
static void t_gone_off_loop(void **state)
{
    (void)state;
    tu_log dlog = {0};
    dw *w = loop_world("127.1.84.4", &dlog);
    char msg[600], path[700], away[700];
    assert_int_equal(dw_put(w, "a", msg, sizeof msg), 0);
    Sipc__Data__GetRequest m = SIPC__DATA__GET_REQUEST__INIT;
    m.id.data = (uint8_t *)"a";
    m.id.len = 1;
    dw_result r;
    dw_call(w, "get", &m.base, &r);
    assert_int_equal(r.err, 0);
    dw_result_free(&r);
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    snprintf(away, sizeof away, "%s/away.db", w->home);
    count_start(w->home);
    assert_int_equal(rename(path, away), 0);
    const char *gone = "records.db is gone from";
    for (int i = 0; i < 200 && !tu_log_has(&dlog, gone); i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    count_stop();
    assert_true(tu_log_has(&dlog, gone));
    assert_int_equal(loop_calls, 0);
    assert_true(pool_calls > 0);
    assert_int_equal(rename(away, path), 0);
    dw_world_end(w, &dlog);
}

/* Pool jobs that hold every thread of the pool until released (bounded:
 * 10 s), so that a job queued meanwhile waits. */
#define POOL_THREADS 4
static int blockers_started, blockers_release;
static uv_work_t blockers[POOL_THREADS];

static void block_work(uv_work_t *w)
{
    (void)w;
    __atomic_add_fetch(&blockers_started, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 10000 && !__atomic_load_n(&blockers_release, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
}

static void block_after(uv_work_t *w, int status)
{
    (void)w;
    (void)status;
}

/* A look queued at the close (every pool thread busy) never runs: it is
 * cancelled, not waited for, and the close completes once the pool frees
 * (the stop then looks once itself). */
static void t_close_cancels_queued_look(void **state)
{
    (void)state;
    main_thread = pthread_self();
    char *home = tu_mkdtemp("dataloopcancel");
    char path[700], err[1024] = "";
    snprintf(path, sizeof path, "%s/records.db", home);
    dw_make_db(path);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_data_options o;
    dw_test_options(&o, NULL);
    sipc_data *d = NULL;
    assert_int_equal(sipc_data_open(&d, &loop, home, &o, err, sizeof err), 0);
    int never = 0;
    tu_run_until(&loop, &never, 200); /* looks run */
    __atomic_store_n(&blockers_started, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&blockers_release, 0, __ATOMIC_SEQ_CST);
    for (int i = 0; i < POOL_THREADS; i++)
        assert_int_equal(uv_queue_work(&loop, &blockers[i], block_work, block_after), 0);
    for (int i = 0; i < 5000 && __atomic_load_n(&blockers_started, __ATOMIC_SEQ_CST) <
                                    POOL_THREADS; i++)
        usleep(1000);
    assert_int_equal(__atomic_load_n(&blockers_started, __ATOMIC_SEQ_CST), POOL_THREADS);
    /* the watch's timer queues a look, which waits for a thread */
    tu_run_until(&loop, &never, 4 * (int)o.watch_ms);
    __atomic_store_n(&db_stats, 0, __ATOMIC_SEQ_CST);
    count_start(home);
    int closed = 0;
    sipc_data_close(d, dw_set_flag, &closed);
    __atomic_store_n(&blockers_release, 1, __ATOMIC_SEQ_CST);
    assert_true(tu_run_until(&loop, &closed, 5000));
    count_stop();
    /* the stop's own look only (whether the name still leads to the open
     * file); the cancelled look would have made a second */
    assert_int_equal(__atomic_load_n(&db_stats, __ATOMIC_SEQ_CST), 1);
    assert_true(tu_drain(&loop, 2000));
    assert_int_equal(uv_loop_close(&loop), 0);
    tu_rmdir(home);
    free(home);
}

int main(void)
{
    /* t_close_cancels_queued_look fills the pool: its size is known */
    setenv("UV_THREADPOOL_SIZE", "4", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_later_open_off_loop),
        cmocka_unit_test(t_write_failures_off_loop),
        cmocka_unit_test(t_gone_off_loop),
        cmocka_unit_test(t_close_cancels_queued_look),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
