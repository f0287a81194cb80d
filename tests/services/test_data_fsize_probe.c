/* test_data_fsize_probe.c - the data service's test write (the probe)
 * under a file size limit (RLIMIT_FSIZE: `ulimit -f`, systemd's
 * LimitFSIZE=). Batches that arrive together, as a pipeline's do, are
 * written by one write job, each in its savepoint; SQLite keeps what the
 * later savepoints change of the earlier ones' pages in a temporary file
 * (its statement journal, in /var/tmp), which the limit bounds too: a job
 * of large batches fails with EFBIG when that file reaches the limit, and
 * records.db and its -wal stay where they were, far below it. A test write
 * fits there, but the next such job would not: the node stays failing
 * until room is made, the -wal truncated by a checkpoint, or the limit
 * gone. The limit is this process's own (the test runs alone in its
 * executable), set and lifted with the soft limit only. On 127.1.159.1. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data_test_support.h"

enum { BODY = 1000, BATCH = 1000, JOB = 3 };
#define LIMIT 3000000

/* A put_batch of BATCH records "PREFIX-N" of BODY-byte bodies ("record N"
 * again and again, as test_storage_health.sh ingests), packed (malloc'd,
 * its size in *len). */
static uint8_t *packed_batch(const char *prefix, size_t *len)
{
    static trec tr[BATCH];
    static Sipc__Data__Record *rp[BATCH];
    static char ids[BATCH][80], bodies[BATCH][BODY + 1];
    for (size_t i = 0; i < BATCH; i++) {
        snprintf(ids[i], sizeof ids[i], "%s-%04zu", prefix, i);
        size_t n = 0;
        while (n + 24 < BODY)
            n += (size_t)snprintf(bodies[i] + n, BODY + 1 - n, "record %zu ", i);
        rp[i] = mk(&tr[i], ids[i], (int64_t)i, bodies[i], NULL);
    }
    Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
    m.n_records = BATCH;
    m.records = rp;
    *len = sipc__data__put_batch_request__get_packed_size(&m);
    uint8_t *buf = malloc(*len);
    assert_non_null(buf);
    sipc__data__put_batch_request__pack(&m, buf);
    return buf;
}

/* JOB batches written by one write job, as a node's pipeline sends them
 * at once: queued behind a put that waits for a lock held here. Each
 * batch's answer in r[]. */
static void put_batches_in_one_job(dw *w, const char *db, const char *prefix, dw_result r[JOB])
{
    sqlite3 *lock;
    assert_int_equal(sqlite3_open(db, &lock), SQLITE_OK);
    assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    trec tr;
    Sipc__Data__PutRequest one = SIPC__DATA__PUT_REQUEST__INIT;
    one.record = mk(&tr, prefix, 1, "first", NULL);
    uint8_t buf1[256];
    size_t len1 = sipc__data__put_request__pack(&one, buf1);
    dw_result first = {0};
    assert_int_equal(sipc_call(w->ch, SIPC_DATA_SERVICE, "put", buf1, len1, 20000, dw_on_result,
                               &first),
                     0);
    memset(r, 0, JOB * sizeof *r);
    for (int k = 0; k < JOB; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s%d", prefix, k);
        size_t len;
        uint8_t *buf = packed_batch(name, &len);
        assert_int_equal(sipc_call(w->ch, SIPC_DATA_SERVICE, "put_batch", buf, len, 20000,
                                   dw_on_result, &r[k]),
                         0);
        free(buf);
    }
    /* every request is in the service's queue before the lock goes */
    int never = 0;
    tu_run_until(&w->loop, &never, 300);
    assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lock);
    assert_true(tu_run_until(&w->loop, &first.done, 20000));
    assert_int_equal(first.err, 0);
    dw_result_free(&first);
    for (int k = 0; k < JOB; k++)
        assert_true(tu_run_until(&w->loop, &r[k].done, 20000));
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void set_fsize(rlim_t cur)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = cur;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* The loop run for ms; whether writes are said failing at its end. */
static int failing_after(dw *w, unsigned ms)
{
    int never = 0;
    tu_run_until(&w->loop, &never, ms);
    sipc_data_health wh, rh;
    sipc_data_health_get(w->d, &wh, &rh);
    return wh.failing;
}

/* Runs the loop until writes are no longer said failing, at most 10 s:
 * 1 if they are not. */
static int ends_failing(dw *w)
{
    for (int i = 0; i < 100; i++)
        if (!failing_after(w, 100))
            return 1;
    return 0;
}

/* Batches too large for the room the limit leaves fail; the files stand
 * more than the probe's 256 KiB of room below the limit (the room a test
 * write fits in, where the next such batches would not); the node stays
 * failing over many probe periods, saying "work again" no more often than
 * before. */
static void fail_at_limit(dw *w, const char *db, const char *wal, const char *prefix,
                          tu_log *dlog, int work_again_said)
{
    set_fsize(LIMIT);
    dw_result r[JOB];
    put_batches_in_one_job(w, db, prefix, r);
    for (int k = 0; k < JOB; k++) {
        if (r[k].err != SIPC_EREMOTE || r[k].status != SIPC_DATA_STORAGE ||
            !strstr(r[k].message, "File too large"))
            fail_msg("batch %d past the limit: %s status %d: %s", k, sipc_err_name(r[k].err),
                     r[k].status, r[k].message);
        dw_result_free(&r[k]);
    }
    uint64_t after = file_size(db) > file_size(wal) ? file_size(db) : file_size(wal);
    fprintf(stderr, "limit %d, files at %llu after the failed batches\n", LIMIT,
            (unsigned long long)after);
    /* the case at stake: more than the probe's 256 KiB of room left */
    assert_true(after + 256 * 1024 < LIMIT);
    /* quiet_ms, then a look every 50 ms and a probe period every 200 ms */
    assert_true(failing_after(w, 2000));
    int said = 0;
    for (const char *p = dlog->buf; (p = strstr(p, "work again")) != NULL; p++)
        said++;
    if (said != work_again_said)
        fail_msg("'work again' said %d times, want %d:\n%s", said, work_again_said, dlog->buf);
}

static void t_probe_waits_for_room_made(void **state)
{
    (void)state;
    /* a write past the limit must fail with EFBIG, not end the process */
    signal(SIGXFSZ, SIG_IGN);
    tu_log dlog = {0};
    sipc_data_options o;
    dw_test_options(&o, &dlog);
    o.quiet_ms = 300; /* the probe comes soon after the failure */
    dw *w = dw_world("127.1.159.1", &o);
    char db[700], wal[710], msg[600];
    snprintf(db, sizeof db, "%s/records.db", w->dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    /* the -wal holds something, for the checkpoint below to take out */
    size_t len;
    uint8_t *seed = packed_batch("seed", &len);
    dw_result r;
    dw_call_raw(w, "put_batch", seed, len, &r);
    assert_int_equal(r.err, 0);
    dw_result_free(&r);
    free(seed);

    fail_at_limit(w, db, wal, "big", &dlog, 0);
    /* room made: the -wal copied into records.db and truncated by a
     * checkpoint of another connection (an operator's sqlite3) */
    sqlite3 *c;
    assert_int_equal(sqlite3_open(db, &c), SQLITE_OK);
    /* read first: a connection knows the file is in WAL mode from then */
    assert_int_equal(sqlite3_exec(c, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_wal_checkpoint_v2(c, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(c);
    assert_int_equal(file_size(wal), 0);
    assert_true(ends_failing(w));
    assert_true(tu_log_has(&dlog, "work again (a test write succeeded)"));

    fail_at_limit(w, db, wal, "bigger", &dlog, 1);
    /* room made: the limit lifted */
    set_fsize(RLIM_INFINITY);
    assert_true(ends_failing(w));
    assert_int_equal(dw_put(w, "after", msg, sizeof msg), 0);
    dw_world_end(w, &dlog);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_probe_waits_for_room_made),
    };
    return cmocka_run_group_tests_name("data service probe at the file size limit", tests, NULL,
                                       NULL);
}
