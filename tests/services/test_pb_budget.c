/* test_pb_budget.c - services/common/pb_budget.c: requests within the
 * services' limits decode within their budget, however dense (records of 64
 * one-letter attributes, 64 filters), and payloads that would decode to many
 * times their bytes (empty attributes, unknown fields, empty records) are
 * refused having held no more than the budget. A counting allocator of the
 * test's own measures what protobuf-c would have taken without one. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data_test_support.h"
#include "pb_budget.h"
#include "search.pb-c.h"

/* ------------------------------------------------- a counting allocator */

static size_t c_live, c_peak;

static void *c_alloc(void *arg, size_t n)
{
    (void)arg;
    void *p = malloc(n);
    if (p) {
        c_live += malloc_usable_size(p);
        if (c_live > c_peak)
            c_peak = c_live;
    }
    return p;
}

static void c_free(void *arg, void *p)
{
    (void)arg;
    if (p) {
        c_live -= malloc_usable_size(p);
        free(p);
    }
}

/* The most heap protobuf-c holds decoding buf without a budget; *held (may
 * be NULL): what the message holds once decoded. */
static size_t unbudgeted_peak(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                              size_t *held)
{
    ProtobufCAllocator a = {c_alloc, c_free, NULL};
    c_live = c_peak = 0;
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &a, len, buf);
    assert_non_null(m);
    if (held)
        *held = c_live;
    protobuf_c_message_free_unpacked(m, &a);
    return c_peak;
}

static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    protobuf_c_message_pack(m, b);
    return b;
}

/* The items the data service's default limits allow in a put and a batch. */
static size_t put_items(void)
{
    sipc_data_options o;
    sipc_data_options_init(&o);
    return 1 + o.max_attributes;
}

static size_t batch_items(void)
{
    sipc_data_options o;
    sipc_data_options_init(&o);
    return o.max_batch * (1 + o.max_attributes);
}

/* decodes buf within its budget, held counted; the message is freed */
static void expect_fits(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                        size_t items)
{
    size_t budget = sipc_pb_budget(len, items), held = 0;
    ProtobufCMessage *m = NULL;
    char err[400] = "";
    sipc_pb_unpack_peak(1);
    int rc = sipc_pb_unpack(d, buf, len, budget, &m, &held, err, sizeof err);
    if (rc != 0)
        fail_msg("%s of %zu bytes refused: %s", d->name, len, err);
    assert_true(held > 0 && held <= budget);
    assert_true(sipc_pb_unpack_peak(0) <= budget);
    /* what the budget counted is what protobuf-c holds without one (malloc
     * may round a block differently from one run to the next) */
    size_t alone;
    unbudgeted_peak(d, buf, len, &alone);
    assert_true(held <= alone + alone / 16 && alone <= held + held / 16);
    protobuf_c_message_free_unpacked(m, NULL);
}

/* refused with ETOOBIG, having held at most the budget, where protobuf-c
 * alone would have taken half as much again or more (ASan's malloc rounds
 * nothing up: its counts are the smallest) */
static void expect_refused(const ProtobufCMessageDescriptor *d, uint8_t *buf, size_t len,
                           size_t items)
{
    size_t budget = sipc_pb_budget(len, items), held = 1;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    char err[400] = "";
    sipc_pb_unpack_peak(1);
    assert_int_equal(sipc_pb_unpack(d, buf, len, budget, &m, &held, err, sizeof err),
                     SIPC_ETOOBIG);
    assert_null(m);
    assert_int_equal(held, 0);
    char want[80];
    snprintf(want, sizeof want, "budget of %zu bytes", budget);
    if (!strstr(err, want))
        fail_msg("message: %s", err);
    size_t peak = sipc_pb_unpack_peak(0);
    assert_true(peak > 0 && peak <= budget);
    size_t alone = unbudgeted_peak(d, buf, len, NULL);
    if (alone <= budget + budget / 2)
        fail_msg("%s of %zu bytes: %zu alone, budget %zu: not a hostile shape", d->name, len,
                 alone, budget);
    free(buf);
}

/* ---------------------------------------------------------------- tests */

/* The densest requests the limits allow, and typical ones, all fit. */
static void t_legit_fit(void **state)
{
    (void)state;
    Sipc__Data__PutBatchRequest b = dw_dense_batch();
    size_t len;
    uint8_t *buf = packed(&b.base, &len);
    /* the measured worst: about 17 times the payload (13 under ASan, whose
     * malloc rounds nothing up), far past the 4 per byte */
    assert_true(unbudgeted_peak(&sipc__data__put_batch_request__descriptor, buf, len, NULL) >
                12 * len);
    expect_fits(&sipc__data__put_batch_request__descriptor, buf, len, batch_items());
    free(buf);
    Sipc__Data__PutRequest p = SIPC__DATA__PUT_REQUEST__INIT;
    p.record = b.records[0];
    buf = packed(&p.base, &len);
    expect_fits(&sipc__data__put_request__descriptor, buf, len, put_items());
    free(buf);
    /* typical records: a long id, a few attributes, a body */
    static char body[200];
    memset(body, 'b', sizeof body - 1);
    enum { T = 250 };
    static trec t[T];
    static Sipc__Data__Record *tp[T];
    for (int i = 0; i < T; i++)
        tp[i] = mk(&t[i], "web-3/2026-12-06T14:00:00.123Z/000123", 1765029600123LL, body,
                   "level", "info", "host", "web-3", "service", "checkout", NULL);
    b.records = tp;
    b.n_records = T;
    buf = packed(&b.base, &len);
    expect_fits(&sipc__data__put_batch_request__descriptor, buf, len, batch_items());
    free(buf);
    /* a search with the most filters the data service takes */
    Sipc__Search__QueryRequest q = SIPC__SEARCH__QUERY_REQUEST__INIT;
    Sipc__Search__Attribute fa[64], *fp[64];
    for (int k = 0; k < 64; k++) {
        sipc__search__attribute__init(&fa[k]);
        fa[k].key = bin("k");
        fp[k] = &fa[k];
    }
    q.query = bin("hello");
    q.filters = fp;
    q.n_filters = 64;
    buf = packed(&q.base, &len);
    expect_fits(&sipc__search__query_request__descriptor, buf, len, 64);
    free(buf);
}

/* Empty attributes, unknown fields, empty records, empty filters: refused
 * within the budget. */
static void t_hostile_refused(void **state)
{
    (void)state;
    size_t len;
    /* a record of a million empty attributes (field 3) */
    uint8_t *buf = dw_flood("a", 0x1a, 1000000, &len);
    expect_refused(&sipc__data__put_request__descriptor, buf, len, put_items());
    /* a million unknown fields, in a record and at the top */
    buf = dw_flood("a", 0x78, 1000000, &len);
    expect_refused(&sipc__data__put_batch_request__descriptor, buf, len, batch_items());
    buf = dw_flood(NULL, 0x78, 1000000, &len);
    expect_refused(&sipc__search__query_request__descriptor, buf, len, 64);
    /* a million empty records */
    buf = dw_flood(NULL, 0x0a, 1000000, &len);
    expect_refused(&sipc__data__put_batch_request__descriptor, buf, len, batch_items());
    /* a million empty filters */
    buf = dw_flood(NULL, 0x12, 1000000, &len);
    expect_refused(&sipc__search__query_request__descriptor, buf, len, 64);
}

/* Not the message: EPROTO, not ETOOBIG; the budget saturates. */
static void t_malformed_and_saturation(void **state)
{
    (void)state;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    char err[400] = "";
    assert_int_equal(sipc_pb_unpack(&sipc__data__put_request__descriptor,
                                    (const uint8_t *)"\xff\xff\xff", 3, 1 << 20, &m, NULL, err,
                                    sizeof err),
                     SIPC_EPROTO);
    assert_null(m);
    assert_non_null(strstr(err, "sipc.data.PutRequest"));
    assert_int_equal(sipc_pb_budget((size_t)-1 / 2, 1), (size_t)-1);
    assert_int_equal(sipc_pb_budget(10, (size_t)-1 / 2), (size_t)-1);
    assert_int_equal(sipc_pb_budget(10, 2), 40 + 2 * 384 + 64 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_legit_fit),
        cmocka_unit_test(t_hostile_refused),
        cmocka_unit_test(t_malformed_and_saturation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
