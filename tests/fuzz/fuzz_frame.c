/* fuzz_frame.c - libFuzzer target: the byte stream a peer sends after the
 * handshake (or in plaintext mode), fed to a whole connection: the frame
 * decoder, envelopes, the hello and its checks, the router and the built-in
 * "sys" service, handlers that answer at once, fail, or hold requests (the
 * pending cap, the backlog and the pause), answers to calls this side made,
 * pings, the write queue limit and the close. The connection runs unchanged
 * (ipc/conn.c) over the in-memory stream of the unit tests
 * (tests/unit/mem_stream.c), so no socket is involved.
 *
 * Input: byte 0 says how to cut the stream into reads (1..256 bytes) and
 * how the test's side behaves (its bits: 0 server or client end, 1 the peer
 * reads what we send, 2 this side makes calls once up, 3 held requests are
 * answered after every read, 4 this side closes the connection halfway);
 * the rest is the peer's byte stream. The decoder alone must also give the
 * same frames for the whole stream and for the cut one, and every envelope
 * that decodes is encoded again and must decode to the same. Every frame
 * body also goes through the hand-written Envelope codec and protobuf-c's
 * generated code side by side (tests/support/envelope_diff.h): both must
 * accept the same bodies, read the same values and, packing again what was
 * accepted, write the same bytes; and written around its payload
 * (sipc_env_encode_around), the same frame. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope_diff.h"
#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "ipc/internal.h"
#include "mem_stream.h"

/* A broken invariant: say which, then crash for libFuzzer. */
#define FAIL(why)                                                                                 \
    do {                                                                                          \
        fprintf(stderr, "fuzz_frame: %s\n", why);                                                \
        abort();                                                                                  \
    } while (0)

/* ------------------------------------------------ the decoder on its own */

/* A view's string as the C string sipc_env_out takes; NULL when empty. */
static const char *view_cstr(const sipc_env_str *s, char *buf, size_t cap)
{
    if (!s->len)
        return NULL;
    size_t n = s->len < cap - 1 ? s->len : cap - 1;
    memcpy(buf, s->ptr, n);
    buf[n] = '\0';
    return buf;
}

/* The hand-written codec and protobuf-c agree on this body, both ways. */
static void codecs_agree(const uint8_t *data, size_t len)
{
    char what[300];
    if (env_diff_decode(data, len, what, sizeof what) != 0)
        FAIL(what);
    sipc_env_view v;
    if (sipc_env_parse(data, len, &v) != 0)
        return;
    static char s1[4096], s2[4096], s3[4096];
    sipc_env_out e = {.kind = (Sipc__Kind)v.kind,
                      .request_id = v.request_id,
                      .service = view_cstr(&v.service, s1, sizeof s1),
                      .method = view_cstr(&v.method, s2, sizeof s2),
                      .status = v.status,
                      .message = view_cstr(&v.message, s3, sizeof s3),
                      .payload = v.payload,
                      .payload_len = v.payload_len,
                      .deadline_ms = v.deadline_ms};
    if (env_diff_encode(v.version, &e, what, sizeof what) != 0)
        FAIL(what);
}

static int on_frame(void *arg, const uint8_t *data, size_t len)
{
    int *frames = arg;
    (*frames)++;
    codecs_agree(data, len);
    int err;
    char why[256];
    Sipc__Envelope *env = sipc_env_decode(data, len, &err, why, sizeof why);
    if (!env)
        return 0;
    if (env->kind == SIPC__KIND__HELLO) {
        Sipc__Hello *h = sipc__hello__unpack(NULL, env->payload.len, env->payload.data);
        if (h)
            sipc__hello__free_unpacked(h, NULL);
    }
    (void)sipc_env_kind_name(env->kind);
    /* Round trip: what sipc would send back about this envelope decodes to it. */
    sipc_env_out o = {.kind = env->kind,
                      .request_id = env->request_id,
                      .service = env->service && env->service[0] ? env->service : NULL,
                      .method = env->method && env->method[0] ? env->method : NULL,
                      .status = env->status,
                      .message = env->message && env->message[0] ? env->message : NULL,
                      .payload = env->payload.data,
                      .payload_len = env->payload.len,
                      .deadline_ms = env->deadline_ms};
    sipc_buf out = {0};
    if (sipc_env_encode(&out, &o, 1 << 20) == 0) {
        Sipc__Envelope *again = sipc_env_decode(out.data + SIPC_FRAME_HEADER,
                                                out.len - SIPC_FRAME_HEADER, &err, why, sizeof why);
        if (!again || again->kind != env->kind || again->request_id != env->request_id ||
            again->payload.len != env->payload.len)
            FAIL("sipc cannot read what it wrote");
        sipc__envelope__free_unpacked(again, NULL);
        /* written around its payload, the same frame once the payload is in */
        sipc_buf around = {0};
        size_t at;
        if (sipc_env_encode_around(&around, &o, 1 << 20, &at) != 0 ||
            around.len + o.payload_len != out.len || memcmp(around.data, out.data, at) != 0 ||
            (o.payload_len && memcmp(out.data + at, o.payload, o.payload_len) != 0) ||
            memcmp(out.data + at + o.payload_len, around.data + at, around.len - at) != 0)
            FAIL("the frame written around its payload is another frame");
        sipc_buf_free(&around);
    }
    sipc_buf_free(&out);
    sipc__envelope__free_unpacked(env, NULL);
    return 0;
}

static void decoder_alone(const uint8_t *data, size_t size, size_t chunk)
{
    int whole = 0, split = 0;
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 1 << 16);
    int rc_whole = sipc_frame_decode(&d, data, size, on_frame, &whole);
    sipc_frame_decoder_free(&d);

    sipc_frame_decoder_init(&d, 1 << 16);
    int rc_split = 0;
    for (size_t off = 0; off < size && rc_split == 0; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        size_t used = 0;
        rc_split = sipc_frame_decode_some(&d, data + off, n, on_frame, &split, &used);
    }
    (void)sipc_frame_decoder_idle(&d);
    sipc_frame_decoder_release(&d);
    sipc_frame_decoder_free(&d);
    if (rc_whole == 0 && rc_split == 0 && whole != split)
        FAIL("the decoder depends on how reads are cut");
}

/* ------------------------------------------------ a whole connection */

typedef struct run {
    int ups, downs, freed, answers;
    int ending; /* handlers answer at once */
    sipc_request *held[8];
    int nheld;
} run;

static uv_loop_t loop;
static sipc_ctx *ctx;
static sipc_security *sec;
static sipc_router *router;
static run *cur;

static void quiet(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg, (void)level, (void)category, (void)msg;
}

static void own_up(void *owner, sipc_conn *c)
{
    (void)c;
    ((run *)owner)->ups++;
}

static void own_down(void *owner, sipc_conn *c, int err, const char *detail, int was_up,
                     int got_bytes)
{
    (void)c, (void)err, (void)detail, (void)was_up, (void)got_bytes;
    ((run *)owner)->downs++;
}

static void own_freed(void *owner)
{
    ((run *)owner)->freed++;
}

static void own_writable(void *owner, sipc_conn *c)
{
    (void)owner, (void)c;
}

static const sipc_conn_owner_ops ops = {
    .up = own_up, .writable = own_writable, .down = own_down, .freed = own_freed};

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t len;
    const void *p = sipc_request_data(req, &len);
    (void)sipc_request_deadline_ms(req);
    (void)sipc_respond(req, p, len);
}

static void h_fail(sipc_request *req, void *arg)
{
    (void)arg;
    (void)sipc_respond_error(req, 7, "refused by the fuzz handler");
}

static void h_hold(sipc_request *req, void *arg)
{
    (void)arg;
    if (cur && !cur->ending && cur->nheld < 8) {
        cur->held[cur->nheld++] = req;
        return;
    }
    (void)sipc_respond(req, "late", 4);
}

static void answer_held(run *r)
{
    for (int i = 0; i < r->nheld; i++)
        (void)sipc_respond(r->held[i], "held", 4);
    r->nheld = 0;
}

static void on_answer(int err, const sipc_reply *rep, void *arg)
{
    (void)err, (void)rep;
    ((run *)arg)->answers++;
}

static void setup(void)
{
    uv_loop_init(&loop);
    if (sipc_security_plain(&sec) != 0)
        FAIL("no plain security");
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "fuzz";
    o.cluster = "fuzz";
    o.max_frame = 1 << 16;
    o.max_pending_requests = 4;
    o.max_write_queue = 8192;
    o.log = quiet;
    if (sipc_ctx_new(&ctx, &loop, &o, sec) != 0 || sipc_router_new(&router) != 0 ||
        sipc_router_add(router, "t", "echo", h_echo, NULL) != 0 ||
        sipc_router_add(router, "t", "fail", h_fail, NULL) != 0 ||
        sipc_router_add(router, "t", "hold", h_hold, NULL) != 0)
        FAIL("set-up failed");
}

static void connection(const uint8_t *data, size_t size, size_t chunk, unsigned flags)
{
    run r;
    memset(&r, 0, sizeof r);
    cur = &r;
    sipc_stream *a, *raw;
    ms_pair(&a, &sipc__conn_stream_events, &raw, NULL);
    sipc_conn *c;
    if (sipc__conn_new(&c, ctx, sec, a, flags & 1, router, &ops, &r) != 0)
        FAIL("sipc__conn_new failed");
    c->refs++; /* ours, to look at it until the end */
    ms_ready(a);
    ms_pump(&loop);
    sipc_buf sink = {0};
    int calls = 0;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        ms_write(raw, data + off, n);
        ms_pump(&loop);
        if ((flags & 2) && raw)
            ms_take(raw, &sink), sink.len = 0;
        if ((flags & 4) && r.ups && !r.downs && calls < 3) {
            if (sipc_conn_call(c, "peer", "m", "q", 1, 1000, on_answer, &r) == 0)
                calls++;
            (void)sipc_conn_send(c, "peer", "note", NULL, 0);
        }
        if (flags & 8)
            answer_held(&r);
        ms_pump(&loop);
        if ((flags & 16) && off >= size / 2 && !r.downs)
            sipc_conn_close(c);
    }
    (void)sipc_conn_write_queue(c);
    (void)sipc__conn_buffer_bytes(c);
    r.ending = 1;
    answer_held(&r);
    ms_pump(&loop);
    ms_close(raw);
    ms_pump(&loop);
    if (!r.downs)
        sipc_conn_close(c);
    ms_pump(&loop);
    cur = NULL;
    sipc__conn_release(c);
    ms_pump(&loop);
    sipc_buf_free(&sink);
    if (r.freed != 1 || ms_live() != 0)
        FAIL("a connection must be freed once, with its stream");
    if (r.ups > 1 || r.downs != 1)
        FAIL("up at most once, down exactly once");
    if (calls && r.answers != calls)
        FAIL("every call completes exactly once");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!ctx)
        setup();
    size_t chunk = (size_t)data[0] + 1; /* 1..256 bytes a read */
    unsigned flags = data[0];
    data++;
    size--;
    decoder_alone(data, size, chunk);
    connection(data, size, chunk, flags);
    return 0;
}
