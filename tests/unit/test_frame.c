/* test_frame.c - the incremental frame decoder (ipc/frame.h).
 *
 * The property that matters: however the byte stream is cut into reads, the
 * same frames come out, in order, with the same bytes; and a length above the
 * maximum is refused before anything is allocated for its body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/frame.h"
#include "sipc/sipc.h"

/* ------------------------------------------------------------ fixtures */

/* A byte stream of frames and where each body lies in it. */
typedef struct stream {
    uint8_t *bytes;
    size_t len;
    size_t nframes;
    size_t off[32];  /* body offsets */
    size_t flen[32]; /* body lengths */
} stream;

static void stream_build(stream *s, const size_t *lens, size_t n)
{
    assert_true(n <= 32);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += SIPC_FRAME_HEADER + lens[i];
    s->bytes = malloc(total ? total : 1);
    assert_non_null(s->bytes);
    s->len = total;
    s->nframes = n;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        sipc_frame_put_header(s->bytes + at, (uint32_t)lens[i]);
        at += SIPC_FRAME_HEADER;
        s->off[i] = at;
        s->flen[i] = lens[i];
        /* a pattern that differs per frame and per position */
        for (size_t j = 0; j < lens[i]; j++)
            s->bytes[at + j] = (uint8_t)(j * 31u + i * 7u + 1u);
        at += lens[i];
    }
}

static void stream_free(stream *s)
{
    free(s->bytes);
    s->bytes = NULL;
}

/* Checks every delivered frame against the expected one, in order. Cheap:
 * no copies, so it can run for every split point. */
typedef struct checker {
    const stream *s;
    size_t next;     /* index of the next expected frame */
    int bad;         /* first mismatch seen */
    int stop_at;     /* return stop_ret when delivering this index (-1: never) */
    int stop_ret;
    size_t calls;
} checker;

static int check_frame(void *arg, const uint8_t *data, size_t len)
{
    checker *c = arg;
    c->calls++;
    if (c->next >= c->s->nframes || len != c->s->flen[c->next] ||
        (len && memcmp(data, c->s->bytes + c->s->off[c->next], len) != 0)) {
        c->bad = 1;
        return 0;
    }
    if (len == 0 && data == NULL)
        c->bad = 1; /* data must be a valid pointer even for empty frames */
    size_t idx = c->next++;
    if (c->stop_at >= 0 && (size_t)c->stop_at == idx)
        return c->stop_ret;
    return 0;
}

static void checker_init(checker *c, const stream *s)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->stop_at = -1;
}

/* Feeds s in pieces ending at the given cut points; returns the checker. */
static void feed_cuts(const stream *s, size_t max, const size_t *cuts, size_t ncuts, checker *c)
{
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, max);
    checker_init(c, s);
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : s->len;
        assert_int_equal(sipc_frame_decode(&d, s->bytes + at, end - at, check_frame, c), 0);
        at = end;
    }
    assert_true(sipc_frame_decoder_idle(&d));
    sipc_frame_decoder_free(&d);
}

/* zero-length, one byte, tiny, header-sized, a 255/256 boundary, one larger
 * than a TLS record (16 KiB) and one larger than the 64 KiB socket read
 * buffer, zeros between */
static const size_t mixed_lens[] = {0, 1, 2, 3, 4, 5, 0, 255, 256, 0, 20000, 1, 0, 70000, 7, 0};
static const size_t small_lens[] = {0, 1, 0, 2, 3, 4, 5, 17, 0, 255, 256, 1, 0};

/* ---------------------------------------------------------------- tests */

static void test_header_bytes(void **state)
{
    (void)state;
    uint8_t h[4];
    sipc_frame_put_header(h, 0x01020304u);
    assert_int_equal(h[0], 0x01);
    assert_int_equal(h[1], 0x02);
    assert_int_equal(h[2], 0x03);
    assert_int_equal(h[3], 0x04);
    sipc_frame_put_header(h, 0xFFFFFFFFu);
    for (int i = 0; i < 4; i++)
        assert_int_equal(h[i], 0xFF);
    sipc_frame_put_header(h, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(h[i], 0);
}

static void test_whole_stream_one_read(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, mixed_lens, sizeof mixed_lens / sizeof mixed_lens[0]);
    checker c;
    feed_cuts(&s, 1u << 20, NULL, 0, &c);
    assert_false(c.bad);
    assert_int_equal(c.next, s.nframes);
    stream_free(&s);
}

/* Every 2-way split of a stream that has zero-length, 1-byte and large frames. */
static void test_every_two_way_split(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, mixed_lens, sizeof mixed_lens / sizeof mixed_lens[0]);
    for (size_t cut = 0; cut <= s.len; cut++) {
        checker c;
        feed_cuts(&s, 1u << 20, &cut, 1, &c);
        if (c.bad || c.next != s.nframes)
            fail_msg("split at byte %zu of %zu: frames differ (got %zu of %zu)", cut, s.len,
                     c.next, s.nframes);
    }
    stream_free(&s);
}

/* Every 3-way split of a smaller stream: covers a header and a body both cut. */
static void test_every_three_way_split(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, small_lens, sizeof small_lens / sizeof small_lens[0]);
    for (size_t a = 0; a <= s.len; a++) {
        for (size_t b = a; b <= s.len; b++) {
            size_t cuts[2] = {a, b};
            checker c;
            feed_cuts(&s, 4096, cuts, 2, &c);
            if (c.bad || c.next != s.nframes)
                fail_msg("split at %zu and %zu: frames differ", a, b);
        }
    }
    stream_free(&s);
}

static void test_byte_at_a_time(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, mixed_lens, sizeof mixed_lens / sizeof mixed_lens[0]);
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 1u << 20);
    checker c;
    checker_init(&c, &s);
    for (size_t i = 0; i < s.len; i++)
        assert_int_equal(sipc_frame_decode(&d, s.bytes + i, 1, check_frame, &c), 0);
    assert_false(c.bad);
    assert_int_equal(c.next, s.nframes);
    assert_true(sipc_frame_decoder_idle(&d));
    sipc_frame_decoder_free(&d);
    stream_free(&s);
}

/* Reads of every size from 1 to 300 bytes (a fixed chunking per run). */
static void test_fixed_chunk_sizes(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, small_lens, sizeof small_lens / sizeof small_lens[0]);
    for (size_t chunk = 1; chunk <= 300; chunk++) {
        sipc_frame_decoder d;
        sipc_frame_decoder_init(&d, 4096);
        checker c;
        checker_init(&c, &s);
        for (size_t at = 0; at < s.len; at += chunk) {
            size_t n = s.len - at < chunk ? s.len - at : chunk;
            assert_int_equal(sipc_frame_decode(&d, s.bytes + at, n, check_frame, &c), 0);
        }
        if (c.bad || c.next != s.nframes)
            fail_msg("chunks of %zu bytes: frames differ", chunk);
        sipc_frame_decoder_free(&d);
    }
    stream_free(&s);
}

/* An empty read changes nothing, wherever it comes. */
static void test_empty_reads(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, small_lens, sizeof small_lens / sizeof small_lens[0]);
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 4096);
    checker c;
    checker_init(&c, &s);
    for (size_t i = 0; i < s.len; i++) {
        assert_int_equal(sipc_frame_decode(&d, s.bytes + i, 0, check_frame, &c), 0);
        assert_int_equal(sipc_frame_decode(&d, s.bytes + i, 1, check_frame, &c), 0);
    }
    assert_false(c.bad);
    assert_int_equal(c.next, s.nframes);
    sipc_frame_decoder_free(&d);
    stream_free(&s);
}

static void test_header_split_across_calls(void **state)
{
    (void)state;
    static const size_t lens[] = {9};
    stream s;
    stream_build(&s, lens, 1);
    /* 1+3, 2+2, 3+1 then the body; and 1+1+1+1 then the body byte by byte */
    for (size_t first = 1; first < SIPC_FRAME_HEADER; first++) {
        sipc_frame_decoder d;
        sipc_frame_decoder_init(&d, 100);
        checker c;
        checker_init(&c, &s);
        assert_int_equal(sipc_frame_decode(&d, s.bytes, first, check_frame, &c), 0);
        assert_false(sipc_frame_decoder_idle(&d));
        assert_int_equal(d.hdr_have, first);
        assert_int_equal(sipc_frame_decode(&d, s.bytes + first, SIPC_FRAME_HEADER - first,
                                           check_frame, &c),
                         0);
        assert_int_equal(c.calls, 0);
        assert_false(sipc_frame_decoder_idle(&d)); /* body of 9 announced */
        assert_int_equal(sipc_frame_decode(&d, s.bytes + SIPC_FRAME_HEADER, 9, check_frame, &c),
                         0);
        assert_int_equal(c.next, 1);
        assert_false(c.bad);
        assert_true(sipc_frame_decoder_idle(&d));
        sipc_frame_decoder_free(&d);
    }
    /* the rest of a split header and the whole body in one read */
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 100);
    checker c;
    checker_init(&c, &s);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, 1, check_frame, &c), 0);
    assert_int_equal(sipc_frame_decode(&d, s.bytes + 1, s.len - 1, check_frame, &c), 0);
    assert_int_equal(c.next, 1);
    assert_false(c.bad);
    assert_true(sipc_frame_decoder_idle(&d));
    sipc_frame_decoder_free(&d);
    stream_free(&s);
}

static void test_exactly_max_accepted(void **state)
{
    (void)state;
    const size_t max = 1000;
    size_t lens[] = {max, 0, max};
    stream s;
    stream_build(&s, lens, 3);
    checker c;
    feed_cuts(&s, max, NULL, 0, &c);
    assert_false(c.bad);
    assert_int_equal(c.next, 3);
    /* also when the body arrives in pieces (the copying path) */
    size_t cuts[] = {2, SIPC_FRAME_HEADER + 1, SIPC_FRAME_HEADER + max - 1};
    feed_cuts(&s, max, cuts, 3, &c);
    assert_false(c.bad);
    assert_int_equal(c.next, 3);
    stream_free(&s);
}

/* A frame of max+1 is refused as soon as its header is complete: nothing is
 * allocated for it, last_len says how big it was, earlier frames were
 * delivered and the callback never sees it. */
static void test_over_max_refused_before_allocation(void **state)
{
    (void)state;
    const size_t max = 1000;
    size_t lens[] = {3, max + 1};
    stream s;
    stream_build(&s, lens, 2);
    size_t upto = s.off[1]; /* just the two headers and the first body */

    /* in one read (header only) */
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, max);
    checker c;
    checker_init(&c, &s);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, upto, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(d.last_len, max + 1);
    assert_null(d.body);
    assert_int_equal(c.next, 1);
    assert_int_equal(c.calls, 1);
    sipc_frame_decoder_free(&d);

    /* with the whole body present too: still refused, not delivered */
    sipc_frame_decoder_init(&d, max);
    checker_init(&c, &s);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, s.len, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(d.last_len, max + 1);
    assert_null(d.body);
    assert_int_equal(c.calls, 1);
    sipc_frame_decoder_free(&d);

    /* header of the big frame split at every point */
    for (size_t cut = s.off[0] + 3; cut < upto; cut++) {
        sipc_frame_decoder_init(&d, max);
        checker_init(&c, &s);
        assert_int_equal(sipc_frame_decode(&d, s.bytes, cut, check_frame, &c), 0);
        assert_int_equal(sipc_frame_decode(&d, s.bytes + cut, upto - cut, check_frame, &c),
                         SIPC_ETOOBIG);
        assert_int_equal(d.last_len, max + 1);
        assert_null(d.body);
        assert_int_equal(c.calls, 1);
        sipc_frame_decoder_free(&d);
    }
    stream_free(&s);
}

/* The largest length the header can carry, against the default 16 MiB. */
static void test_length_ffffffff(void **state)
{
    (void)state;
    const uint8_t hdr[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 16u << 20);
    checker c;
    stream none = {0};
    checker_init(&c, &none);
    assert_int_equal(sipc_frame_decode(&d, hdr, 4, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(d.last_len, 0xFFFFFFFFu);
    assert_null(d.body);
    assert_int_equal(c.calls, 0);
    sipc_frame_decoder_free(&d);

    /* byte by byte */
    sipc_frame_decoder_init(&d, 16u << 20);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sipc_frame_decode(&d, hdr + i, 1, check_frame, &c), 0);
    assert_int_equal(sipc_frame_decode(&d, hdr + 3, 1, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(d.last_len, 0xFFFFFFFFu);
    assert_null(d.body);
    assert_int_equal(c.calls, 0);
    sipc_frame_decoder_free(&d);

    /* and against the largest configurable maximum, 256 MiB */
    sipc_frame_decoder_init(&d, 256u << 20);
    assert_int_equal(sipc_frame_decode(&d, hdr, 4, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(d.last_len, 0xFFFFFFFFu);
    assert_null(d.body);
    sipc_frame_decoder_free(&d);
}

/* A maximum of 0 still passes empty frames and refuses a 1-byte one. */
static void test_max_zero(void **state)
{
    (void)state;
    size_t lens[] = {0, 0, 1};
    stream s;
    stream_build(&s, lens, 3);
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 0);
    checker c;
    checker_init(&c, &s);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, s.len, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(c.next, 2);
    assert_int_equal(d.last_len, 1);
    sipc_frame_decoder_free(&d);
    stream_free(&s);
}

/* A large frame (1 MiB) under the default maximum, in uneven reads. */
static void test_large_frame_uneven_reads(void **state)
{
    (void)state;
    size_t lens[] = {1, 1u << 20, 0, 5};
    stream s;
    stream_build(&s, lens, 4);
    static const size_t steps[] = {1, 3, 4, 5, 4093, 65536, 7, 100000, 2};
    for (size_t start = 0; start < sizeof steps / sizeof steps[0]; start++) {
        sipc_frame_decoder d;
        sipc_frame_decoder_init(&d, 16u << 20);
        checker c;
        checker_init(&c, &s);
        size_t k = start;
        for (size_t at = 0; at < s.len;) {
            size_t n = steps[k++ % (sizeof steps / sizeof steps[0])];
            if (n > s.len - at)
                n = s.len - at;
            assert_int_equal(sipc_frame_decode(&d, s.bytes + at, n, check_frame, &c), 0);
            at += n;
        }
        assert_false(c.bad);
        assert_int_equal(c.next, 4);
        assert_true(sipc_frame_decoder_idle(&d));
        sipc_frame_decoder_free(&d);
    }
    stream_free(&s);
}

/* A non-zero callback result stops decoding at once and is returned, both
 * for frames handed up in place and for frames reassembled from pieces. */
static void test_callback_stops_decoding(void **state)
{
    (void)state;
    size_t lens[] = {4, 5, 6, 7};
    stream s;
    stream_build(&s, lens, 4);

    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 100);
    checker c;
    checker_init(&c, &s);
    c.stop_at = 1;
    c.stop_ret = 42;
    assert_int_equal(sipc_frame_decode(&d, s.bytes, s.len, check_frame, &c), 42);
    assert_int_equal(c.calls, 2);
    assert_false(c.bad);
    sipc_frame_decoder_free(&d);

    /* a reassembled frame: frame 1's body arrives in two reads */
    sipc_frame_decoder_init(&d, 100);
    checker_init(&c, &s);
    c.stop_at = 1;
    c.stop_ret = SIPC_ECLOSED;
    size_t mid = s.off[1] + 2;
    assert_int_equal(sipc_frame_decode(&d, s.bytes, mid, check_frame, &c), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(sipc_frame_decode(&d, s.bytes + mid, s.len - mid, check_frame, &c),
                     SIPC_ECLOSED);
    assert_int_equal(c.calls, 2);
    assert_false(c.bad);
    assert_null(d.body); /* the reassembly buffer was released */
    sipc_frame_decoder_free(&d);

    /* stopping on the very first, zero-length frame */
    size_t zl[] = {0, 1};
    stream z;
    stream_build(&z, zl, 2);
    sipc_frame_decoder_init(&d, 100);
    checker_init(&c, &z);
    c.stop_at = 0;
    c.stop_ret = -1;
    assert_int_equal(sipc_frame_decode(&d, z.bytes, z.len, check_frame, &c), -1);
    assert_int_equal(c.calls, 1);
    sipc_frame_decoder_free(&d);
    stream_free(&z);
    stream_free(&s);
}

static void test_idle(void **state)
{
    (void)state;
    size_t lens[] = {10};
    stream s;
    stream_build(&s, lens, 1);
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 100);
    checker c;
    checker_init(&c, &s);
    assert_true(sipc_frame_decoder_idle(&d));
    /* every prefix short of the whole frame leaves something buffered */
    for (size_t i = 0; i < s.len; i++) {
        assert_int_equal(sipc_frame_decode(&d, s.bytes + i, 1, check_frame, &c), 0);
        if (i + 1 < s.len)
            assert_false(sipc_frame_decoder_idle(&d));
    }
    assert_true(sipc_frame_decoder_idle(&d));
    assert_int_equal(c.next, 1);

    /* freeing a decoder with a partial body releases it and leaves it idle */
    assert_int_equal(sipc_frame_decode(&d, s.bytes, 6, check_frame, &c), 0);
    assert_false(sipc_frame_decoder_idle(&d));
    assert_non_null(d.body);
    sipc_frame_decoder_free(&d);
    assert_true(sipc_frame_decoder_idle(&d));
    assert_null(d.body);

    /* and with a partial header */
    sipc_frame_decoder_init(&d, 100);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, 2, check_frame, &c), 0);
    assert_false(sipc_frame_decoder_idle(&d));
    sipc_frame_decoder_free(&d);
    assert_true(sipc_frame_decoder_idle(&d));

    /* a complete zero-length frame leaves nothing buffered */
    const uint8_t empty[4] = {0, 0, 0, 0};
    sipc_frame_decoder_init(&d, 100);
    stream none = {0};
    size_t zl[] = {0};
    stream_build(&none, zl, 1);
    checker_init(&c, &none);
    assert_int_equal(sipc_frame_decode(&d, empty, 4, check_frame, &c), 0);
    assert_true(sipc_frame_decoder_idle(&d));
    assert_int_equal(c.next, 1);
    sipc_frame_decoder_free(&d);
    stream_free(&none);
    stream_free(&s);
}

/* After a refusal the decoder can still be freed (no leak under ASan) and a
 * fresh init makes it usable again. */
static void test_reinit_after_error(void **state)
{
    (void)state;
    size_t lens[] = {50, 2};
    stream s;
    stream_build(&s, lens, 2);
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 10);
    checker c;
    checker_init(&c, &s);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, s.len, check_frame, &c), SIPC_ETOOBIG);
    assert_int_equal(d.last_len, 50);
    sipc_frame_decoder_free(&d);
    sipc_frame_decoder_init(&d, 100);
    checker_init(&c, &s);
    assert_int_equal(sipc_frame_decode(&d, s.bytes, s.len, check_frame, &c), 0);
    assert_int_equal(c.next, 2);
    sipc_frame_decoder_free(&d);
    stream_free(&s);
}

/* sipc_frame_decode_some: when the callback stops the decoder, *used says
 * where the next frame starts, and decoding can go on from there later (the
 * connection keeps the rest as a backlog while its handlers are at their
 * cap). Stopping at every frame, with the stream in every 2-way split, must
 * still give every frame exactly once, in order. */
static void resume_run(const stream *s, size_t cut, size_t max, checker *c)
{
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, max);
    checker_init(c, s);
    /* pieces of the stream as the socket delivers them */
    const uint8_t *piece[2] = {s->bytes, s->bytes + cut};
    size_t plen[2] = {cut, s->len - cut};
    for (int k = 0; k < 2; k++) {
        const uint8_t *p = piece[k];
        size_t n = plen[k];
        for (;;) {
            size_t used = 12345;
            c->stop_at = (int)c->next; /* stop after every frame */
            c->stop_ret = 7;
            int r = sipc_frame_decode_some(&d, p, n, check_frame, c, &used);
            assert_true(used <= n);
            if (r == 0) {
                assert_int_equal(used, n); /* all of it taken */
                break;
            }
            assert_int_equal(r, 7);
            p += used;
            n -= used;
            if (n == 0)
                break;
        }
    }
    assert_true(sipc_frame_decoder_idle(&d));
    sipc_frame_decoder_free(&d);
}

static void test_decode_some_resume(void **state)
{
    (void)state;
    stream s;
    stream_build(&s, small_lens, sizeof small_lens / sizeof small_lens[0]);
    for (size_t cut = 0; cut <= s.len; cut++) {
        checker c;
        resume_run(&s, cut, 4096, &c);
        if (c.bad || c.next != s.nframes)
            fail_msg("split at %zu with a stop after every frame: got %zu of %zu frames", cut,
                     c.next, s.nframes);
        assert_int_equal(c.calls, s.nframes); /* none twice */
    }
    stream_free(&s);

    stream_build(&s, mixed_lens, sizeof mixed_lens / sizeof mixed_lens[0]);
    static const size_t cuts[] = {0, 1, 3, 4, 5, 100, 300, 20000, 50000, 90000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        checker c;
        resume_run(&s, cuts[i] < s.len ? cuts[i] : s.len, 1u << 20, &c);
        assert_false(c.bad);
        assert_int_equal(c.next, s.nframes);
    }
    stream_free(&s);
}

/* *used on the other outcomes: everything on success, up to the end of the
 * refused header on SIPC_ETOOBIG. */
static void test_decode_some_used(void **state)
{
    (void)state;
    size_t lens[] = {3, 2000};
    stream s;
    stream_build(&s, lens, 2);
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 1000);
    checker c;
    checker_init(&c, &s);
    size_t used = 0;
    assert_int_equal(sipc_frame_decode_some(&d, s.bytes, 5, check_frame, &c, &used), 0);
    assert_int_equal(used, 5); /* a partial frame is consumed into the decoder */
    assert_int_equal(sipc_frame_decode_some(&d, s.bytes + 5, s.len - 5, check_frame, &c, &used),
                     SIPC_ETOOBIG);
    assert_int_equal(used, s.off[1] - 5);
    assert_int_equal(c.next, 1);
    sipc_frame_decoder_free(&d);
    /* an empty read */
    sipc_frame_decoder_init(&d, 1000);
    used = 99;
    assert_int_equal(sipc_frame_decode_some(&d, s.bytes, 0, check_frame, &c, &used), 0);
    assert_int_equal(used, 0);
    sipc_frame_decoder_free(&d);
    stream_free(&s);
}


/* ------------------------------------------------------ the budget */

static int count_frame(void *arg, const uint8_t *data, size_t len)
{
    (void)data;
    (void)len;
    (*(int *)arg)++;
    return 0;
}

static void bump(void *arg)
{
    (*(int *)arg)++;
}

static void put_hdr(uint8_t *p, uint32_t len)
{
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
}

/* Only buffers of frames split across reads are counted (a frame whole in
 * one read costs nothing); a frame that does not fit waits with its header
 * consumed and is admitted, in order, once another decoder gives room back;
 * every byte comes back when a decoder is freed. */
static void test_budget_accounting(void **state)
{
    (void)state;
    const size_t big = 3u << 20; /* beyond SIPC_FRAME_KEEP: its own buffer */
    int released = 0;
    sipc_frame_budget b = {.cap = 4u << 20, .released = bump, .arg = &released};
    sipc_frame_decoder a, w;
    sipc_frame_decoder_init(&a, 16u << 20);
    sipc_frame_decoder_init(&w, 16u << 20);
    sipc_frame_decoder_set_budget(&a, &b);
    sipc_frame_decoder_set_budget(&w, &b);
    uint8_t *buf = calloc(1, big + 8);
    assert_non_null(buf);
    int frames = 0;

    /* a whole frame in one read: handed up in place, nothing counted */
    put_hdr(buf, (uint32_t)big);
    assert_int_equal(sipc_frame_decode(&a, buf, big + 4, count_frame, &frames), 0);
    assert_int_equal(frames, 1);
    assert_int_equal(b.used, 0);
    assert_true(sipc_frame_decoder_idle(&a));

    /* a split one: its buffer is counted from its header on */
    assert_int_equal(sipc_frame_decode(&a, buf, 4 + 1000, count_frame, &frames), 0);
    assert_int_equal(b.used, big);
    assert_int_equal(a.held, big);

    /* the next one does not fit: it waits, header consumed, nothing allocated */
    put_hdr(buf, (uint32_t)big);
    size_t used = 0;
    assert_int_equal(sipc_frame_decode_some(&w, buf, 4 + 500, count_frame, &frames, &used),
                     SIPC_FRAME_WAIT);
    assert_int_equal(used, 4);
    assert_int_equal(w.pending, big);
    assert_int_equal(w.held, 0);
    assert_int_equal(b.used, big);
    assert_false(sipc_frame_decoder_idle(&w));
    assert_false(sipc_frame_pending_fits(&w));
    b.waiting = 1; /* the owner keeps the count of waiters */

    /* a third decoder may not go ahead of the waiter, even for a small frame */
    sipc_frame_decoder x;
    sipc_frame_decoder_init(&x, 16u << 20);
    sipc_frame_decoder_set_budget(&x, &b);
    put_hdr(buf, 100);
    assert_int_equal(sipc_frame_decode_some(&x, buf, 4 + 10, count_frame, &frames, &used),
                     SIPC_FRAME_WAIT);
    assert_int_equal(x.pending, 100);
    /* ... but a whole frame in one read still goes through */
    sipc_frame_decoder y;
    sipc_frame_decoder_init(&y, 16u << 20);
    sipc_frame_decoder_set_budget(&y, &b);
    assert_int_equal(sipc_frame_decode(&y, buf, 4 + 100, count_frame, &frames), 0);
    assert_int_equal(frames, 2);

    /* the first frame completes: its buffer comes back, the owner is told */
    memset(buf, 0, big);
    assert_int_equal(sipc_frame_decode(&a, buf, big - 1000, count_frame, &frames), 0);
    assert_int_equal(frames, 3);
    assert_int_equal(b.used, 0);
    assert_int_equal(released, 1);
    assert_true(sipc_frame_pending_fits(&w));

    /* the waiter is asked again with no bytes, then gets the rest */
    assert_int_equal(sipc_frame_decode_some(&w, NULL, 0, count_frame, &frames, &used), 0);
    assert_int_equal(w.pending, 0);
    assert_int_equal(b.used, big);
    b.waiting = 0;
    assert_int_equal(sipc_frame_decode(&w, buf, big - 1, count_frame, &frames), 0);
    assert_int_equal(frames, 3);
    assert_int_equal(b.used, big);

    /* a small split frame takes the kept buffer (64 KiB at least), counted
       while it is kept, and given back when released */
    put_hdr(buf, 100);
    assert_int_equal(sipc_frame_decode_some(&x, NULL, 0, count_frame, &frames, &used), 0);
    assert_int_equal(b.used, big + 65536);
    assert_int_equal(sipc_frame_decode(&x, buf, 100, count_frame, &frames), 0);
    assert_int_equal(frames, 4);
    assert_int_equal(x.held, 65536);
    sipc_frame_decoder_release(&x);
    assert_int_equal(x.held, 0);

    /* freeing a decoder in the middle of a frame gives all of it back */
    sipc_frame_decoder_free(&w);
    assert_int_equal(b.used, 0);
    sipc_frame_decoder_free(&a);
    sipc_frame_decoder_free(&x);
    sipc_frame_decoder_free(&y);
    assert_int_equal(b.used, 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_whole_stream_one_read),
        cmocka_unit_test(test_every_two_way_split),
        cmocka_unit_test(test_every_three_way_split),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_fixed_chunk_sizes),
        cmocka_unit_test(test_empty_reads),
        cmocka_unit_test(test_header_split_across_calls),
        cmocka_unit_test(test_exactly_max_accepted),
        cmocka_unit_test(test_over_max_refused_before_allocation),
        cmocka_unit_test(test_length_ffffffff),
        cmocka_unit_test(test_max_zero),
        cmocka_unit_test(test_large_frame_uneven_reads),
        cmocka_unit_test(test_callback_stops_decoding),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_reinit_after_error),
        cmocka_unit_test(test_decode_some_resume),
        cmocka_unit_test(test_decode_some_used),
        cmocka_unit_test(test_budget_accounting),
    };
    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
