/* test_frame_zerocopy.c - the frame decoder's zero-copy paths
 * (ipc/frame.h): the window a TLS stream decrypts into, and a reassembled
 * body taken over by the callback and given back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/frame.h"

typedef struct seen {
    sipc_frame_decoder *d;
    int frames;
    uint8_t last[4096];
    size_t last_len;
    const uint8_t *last_ptr;
    int take;             /* take the buffer in the callback */
    int give_back;        /* ... and give it back at once (an answer given in the handler) */
    uint8_t *taken;
    size_t taken_cap;
} seen;

static int on_frame(void *arg, const uint8_t *data, size_t len)
{
    seen *s = arg;
    s->frames++;
    s->last_ptr = data;
    s->last_len = len;
    if (len <= sizeof s->last)
        memcpy(s->last, data, len);
    if (s->take) {
        s->taken = sipc_frame_take(s->d, data, &s->taken_cap);
        if (s->taken && s->give_back) {
            sipc_frame_give_back(s->d, s->taken, s->taken_cap);
            s->taken = NULL;
        }
    }
    return 0;
}

static void frame_of(uint8_t *out, size_t len, uint8_t seed)
{
    sipc_frame_put_header(out, (uint32_t)len);
    for (size_t i = 0; i < len; i++)
        out[SIPC_FRAME_HEADER + i] = (uint8_t)(seed + i * 7);
}

/* Bytes written into the window and fed from there are not copied again
 * and arrive intact; nothing is offered between frames. */
static void t_window(void **state)
{
    (void)state;
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 1 << 20);
    seen s = {.d = &d};
    uint8_t f[SIPC_FRAME_HEADER + 3000];
    frame_of(f, 3000, 5);
    uint8_t *w = NULL;
    assert_int_equal(sipc_frame_window(&d, &w), 0);
    assert_int_equal(sipc_frame_decode(&d, f, SIPC_FRAME_HEADER + 1000, on_frame, &s), 0);
    size_t n = sipc_frame_window(&d, &w);
    assert_int_equal(n, 2000);
    assert_non_null(w);
    /* the rest in two pieces, each put in place first, as TLS does */
    memcpy(w, f + SIPC_FRAME_HEADER + 1000, 500);
    assert_int_equal(sipc_frame_decode(&d, w, 500, on_frame, &s), 0);
    assert_int_equal(s.frames, 0);
    n = sipc_frame_window(&d, &w);
    assert_int_equal(n, 1500);
    memcpy(w, f + SIPC_FRAME_HEADER + 1500, 1500);
    assert_int_equal(sipc_frame_decode(&d, w, 1500, on_frame, &s), 0);
    assert_int_equal(s.frames, 1);
    assert_int_equal(s.last_len, 3000);
    assert_memory_equal(s.last, f + SIPC_FRAME_HEADER, 3000);
    assert_int_equal(sipc_frame_window(&d, &w), 0);
    assert_true(sipc_frame_decoder_idle(&d));
    sipc_frame_decoder_free(&d);
}

/* A reassembled body can be taken; given back at once it serves the next
 * frame; a frame that came whole in one read cannot be taken. */
static void t_take_and_give_back(void **state)
{
    (void)state;
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 1 << 20);
    seen s = {.d = &d, .take = 1, .give_back = 1};
    uint8_t f[SIPC_FRAME_HEADER + 3000];
    frame_of(f, 3000, 9);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sipc_frame_decode(&d, f, 10, on_frame, &s), 0);
        assert_int_equal(sipc_frame_decode(&d, f + 10, sizeof f - 10, on_frame, &s), 0);
    }
    assert_int_equal(s.frames, 3);
    assert_memory_equal(s.last, f + SIPC_FRAME_HEADER, 3000);
    const uint8_t *first = s.last_ptr;
    assert_int_equal(sipc_frame_decode(&d, f, 10, on_frame, &s), 0);
    assert_int_equal(sipc_frame_decode(&d, f + 10, sizeof f - 10, on_frame, &s), 0);
    assert_ptr_equal(s.last_ptr, first); /* the same buffer, given back each time */

    /* whole in one read: handed up in place, not the decoder's to give */
    s.give_back = 0;
    assert_int_equal(sipc_frame_decode(&d, f, sizeof f, on_frame, &s), 0);
    assert_null(s.taken);
    assert_ptr_equal(s.last_ptr, f + SIPC_FRAME_HEADER);

    /* taken and kept: the decoder reassembles the next one elsewhere */
    assert_int_equal(sipc_frame_decode(&d, f, 10, on_frame, &s), 0);
    assert_int_equal(sipc_frame_decode(&d, f + 10, sizeof f - 10, on_frame, &s), 0);
    uint8_t *kept = s.taken;
    size_t kept_cap = s.taken_cap;
    assert_non_null(kept);
    assert_true(kept_cap >= 3000);
    s.taken = NULL;
    s.take = 0;
    assert_int_equal(sipc_frame_decode(&d, f, 10, on_frame, &s), 0);
    assert_int_equal(sipc_frame_decode(&d, f + 10, sizeof f - 10, on_frame, &s), 0);
    assert_ptr_not_equal(s.last_ptr, kept);
    assert_memory_equal(kept, f + SIPC_FRAME_HEADER, 3000); /* untouched */
    sipc_frame_give_back(&d, kept, kept_cap); /* the decoder has one: freed */
    sipc_frame_decoder_free(&d);
}

/* A frame beyond what the decoder keeps is a one-off buffer: taken with no
 * capacity to keep, and given back it is freed (ASan checks both). */
static void t_take_oversize(void **state)
{
    (void)state;
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 4u << 20);
    seen s = {.d = &d, .take = 1};
    size_t len = SIPC_FRAME_KEEP + 100;
    uint8_t *f = malloc(SIPC_FRAME_HEADER + len);
    assert_non_null(f);
    sipc_frame_put_header(f, (uint32_t)len);
    memset(f + SIPC_FRAME_HEADER, 0xab, len);
    assert_int_equal(sipc_frame_decode(&d, f, 100, on_frame, &s), 0);
    assert_int_equal(sipc_frame_decode(&d, f + 100, SIPC_FRAME_HEADER + len - 100, on_frame, &s), 0);
    assert_int_equal(s.frames, 1);
    assert_non_null(s.taken);
    assert_int_equal(s.taken_cap, 0);
    assert_int_equal(s.taken[len - 1], 0xab);
    sipc_frame_give_back(&d, s.taken, s.taken_cap);
    free(f);
    sipc_frame_decoder_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_window),
        cmocka_unit_test(t_take_and_give_back),
        cmocka_unit_test(t_take_oversize),
    };
    return cmocka_run_group_tests_name("frame zero-copy", tests, NULL, NULL);
}
