/* test_data_queue_bytes.c - the data service's write queue (max_queue)
 * counts what its writes hold until they are answered, their payload and
 * their decoded copy, not only their bytes on the wire: a connection that
 * sends batches decoding to many times their size, while the writer waits,
 * is answered BUSY once the queue holds max_queue of them. On 127.1.151.5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "data_test_support.h"
#include "pb_budget.h"

static void t_queue_counts_decoded(void **state)
{
    (void)state;
    sipc_data_options o;
    sipc_data_options_init(&o);
    o.max_queue = 4u << 20;
    dw *w = dw_world("127.1.151.5", &o);
    /* the densest batch the limits allow: its decoded copy is many times
     * its bytes */
    Sipc__Data__PutBatchRequest b = dw_dense_batch();
    size_t len = sipc__data__put_batch_request__get_packed_size(&b);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    sipc__data__put_batch_request__pack(&b, buf);
    ProtobufCMessage *m;
    size_t held;
    char err[320];
    assert_int_equal(sipc_pb_unpack(&sipc__data__put_batch_request__descriptor, buf, len,
                                    sipc_pb_budget(len, o.max_batch * (1 + o.max_attributes)), &m,
                                    &held, err, sizeof err),
                     0);
    protobuf_c_message_free_unpacked(m, NULL);
    size_t each = len + held;
    assert_true(each > 4 * len);

    /* the writer waits for a lock held here, with the first batch */
    char path[700];
    snprintf(path, sizeof path, "%s/records.db", w->dir);
    sqlite3 *lock;
    assert_int_equal(sqlite3_open(path, &lock), SQLITE_OK);
    assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    enum { N = 16 };
    static dw_result rs[N];
    memset(rs, 0, sizeof rs);
    for (int i = 0; i < N; i++)
        assert_int_equal(sipc_call(w->ch, SIPC_DATA_SERVICE, "put_batch", buf, len, 20000,
                                   dw_on_result, &rs[i]),
                         0);
    /* until every batch is either answered (BUSY) or held by the service
     * (queued, or the writer's job waiting for the lock held here), by the
     * loop's clock: decoding 16 dense batches takes seconds under ASan on a
     * loaded machine, and a batch still on its way is neither (counting it
     * as accepted failed the bound below). Past the writer's busy timeout
     * (5 s) the first batch fails on the lock, which the checks below say */
    int none = 0, answered = 0;
    sipc_data_waiting wt = {0};
    uv_update_time(&w->loop);
    uint64_t until = uv_now(&w->loop) + 15000;
    while (uv_now(&w->loop) < until) {
        tu_run_until(&w->loop, &none, 20);
        uv_update_time(&w->loop);
        answered = 0;
        for (int i = 0; i < N; i++)
            answered += rs[i].done;
        sipc_data_waiting_get(w->d, &wt);
        if (answered + (int)wt.requests == N)
            break;
    }
    assert_int_equal(answered + (int)wt.requests, N);
    int accepted = N - answered;
    for (int i = 0; i < N; i++)
        if (rs[i].done && (rs[i].err != SIPC_EREMOTE || rs[i].status != SIPC_DATA_BUSY))
            fail_msg("batch %d: %s status %d: %s", i, sipc_err_name(rs[i].err), rs[i].status,
                     rs[i].message);
    /* one in the writer's job; behind it, the queue: max_queue of what its
     * writes hold, or a single write */
    size_t queued = (size_t)(accepted - 1);
    fprintf(stderr, "batch of %zu bytes holding %zu: %d of %d accepted (max_queue %zu)\n", len,
            each, accepted, N, o.max_queue);
    assert_true(accepted >= 2);
    assert_true(queued == 1 || queued * each <= o.max_queue);
    assert_int_equal(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lock);
    for (int i = 0; i < N; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 20000));
        if (rs[i].err != 0 && rs[i].status != SIPC_DATA_BUSY)
            fail_msg("batch %d: %s: %s", i, sipc_err_name(rs[i].err), rs[i].message);
        dw_result_free(&rs[i]);
    }
    free(buf);
    dw_world_end(w, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_queue_counts_decoded),
    };
    return cmocka_run_group_tests_name("data service write queue", tests, NULL, NULL);
}
