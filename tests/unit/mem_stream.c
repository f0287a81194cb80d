/* mem_stream.c - see mem_stream.h. Mirrors what transport/stream.c promises
 * its owner: events never fire from inside a call into the stream (bytes,
 * EOF and the closed event wait for ms_pump), a graceful close still
 * delivers what was written before it, an abort drops it, and closed fires
 * exactly once, after which the stream is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_stream.h"

struct sipc_stream {
    const sipc_stream_events *ev; /* NULL: a raw end the test drives */
    void *owner;
    sipc_stream *peer;            /* NULL once the peer is freed */
    sipc_stream *next;            /* in all_streams */
    sipc_buf in;                  /* written by the peer, not yet read here */
    int ready;
    int paused;
    int closing;                  /* close or abort called */
    int closed_told;
    int eof;                      /* the peer closed: read EOF after in */
    int eof_told;
    int error_told;
    int got_bytes;
    int fail_parts;               /* see ms_fail_parts */
    size_t stuck;                 /* see ms_hold_stuck */
    uint64_t last_read;           /* see ms_arrived */
    uint64_t written;             /* bytes written to the peer, ever */
    char name[32];
};

static sipc_stream *all_streams;
static int n_made;

static sipc_stream *ms_new(const sipc_stream_events *ev)
{
    sipc_stream *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->ev = ev;
    snprintf(s->name, sizeof s->name, "mem:%d", ++n_made);
    s->next = all_streams;
    all_streams = s;
    return s;
}

void ms_pair(sipc_stream **a, const sipc_stream_events *ev_a, sipc_stream **b,
             const sipc_stream_events *ev_b)
{
    *a = ms_new(ev_a);
    *b = ms_new(ev_b);
    (*a)->peer = *b;
    (*b)->peer = *a;
    if (!ev_a)
        (*a)->ready = 1;
    if (!ev_b)
        (*b)->ready = 1;
}

void ms_ready(sipc_stream *s)
{
    s->ready = 1;
    if (s->ev)
        s->ev->ready(s);
}

static void ms_fail(sipc_stream *s, int err, const char *detail)
{
    if (s->error_told || s->closing || !s->ev)
        return;
    s->error_told = 1;
    s->ev->error(s, err, detail);
}

/* What the reader took: the writer's queue may have drained. */
static void ms_consumed(sipc_stream *reader)
{
    sipc_stream *w = reader->peer;
    if (w && !w->closing && w->ev && w->ev->drained && reader->in.len == 0)
        w->ev->drained(w);
}

/* Moves one thing for s; 1 if something moved. */
static int ms_step(sipc_stream *s)
{
    if (s->closing || !s->ev)
        return 0;
    if (s->in.len && !s->paused) {
        sipc_buf b = s->in;
        memset(&s->in, 0, sizeof s->in);
        s->got_bytes = 1;
        int r = s->ev->data(s, b.data, b.len);
        sipc_buf_free(&b);
        ms_consumed(s);
        if (r != 0)
            ms_fail(s, r, "");
        return 1;
    }
    if (s->eof && !s->eof_told && s->in.len == 0) {
        s->eof_told = 1;
        ms_fail(s, SIPC_ECLOSED, "peer closed the connection");
        return 1;
    }
    return 0;
}

static void ms_free(sipc_stream *s)
{
    for (sipc_stream **pp = &all_streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    if (s->peer)
        s->peer->peer = NULL;
    sipc_buf_free(&s->in);
    free(s);
}

void ms_pump(uv_loop_t *loop)
{
    int quiet = 0;
    for (int round = 0; round < 10000 && quiet < 2; round++) {
        uv_run(loop, UV_RUN_NOWAIT);
        int moved = 0;
        for (sipc_stream *s = all_streams; s; s = s->next) {
            if (s->closing && !s->closed_told) {
                /* like uv_close: the closed event comes later, never inside close */
                s->closed_told = 1;
                if (s->ev)
                    s->ev->closed(s);
                ms_free(s);
                moved = 1;
                break; /* the list changed */
            }
            if (ms_step(s)) {
                moved = 1;
                break; /* handlers may have closed or made streams */
            }
        }
        quiet = moved ? 0 : quiet + 1;
    }
}

void ms_write(sipc_stream *raw, const void *p, size_t n)
{
    if (raw->peer && !raw->closing && sipc_buf_append(&raw->peer->in, p, n) != 0)
        abort();
}

void ms_take(sipc_stream *raw, sipc_buf *out)
{
    if (raw->in.len && sipc_buf_append(out, raw->in.data, raw->in.len) != 0)
        abort();
    raw->in.len = 0;
    ms_consumed(raw);
}

void ms_take_some(sipc_stream *raw, sipc_buf *out, size_t n)
{
    if (n > raw->in.len)
        n = raw->in.len;
    if (n == 0)
        return;
    if (sipc_buf_append(out, raw->in.data, n) != 0)
        abort();
    memmove(raw->in.data, raw->in.data + n, raw->in.len - n);
    raw->in.len -= n;
    ms_consumed(raw);
}

void ms_close(sipc_stream *raw)
{
    sipc_stream_close(raw);
}

int ms_paused(const sipc_stream *s)
{
    return s->paused;
}

int ms_live(void)
{
    int n = 0;
    for (sipc_stream *s = all_streams; s; s = s->next)
        n++;
    return n;
}

/* ---------------------------------------------- transport/stream.h */

int sipc_stream_connect(sipc_stream **out, uv_loop_t *loop, const struct sockaddr *addr,
                        const struct sockaddr *source, sipc_tls_config *tlscfg,
                        const sipc_stream_events *ev, void *owner)
{
    (void)out, (void)loop, (void)addr, (void)source, (void)tlscfg, (void)ev, (void)owner;
    return SIPC_EINVAL; /* no sockets here */
}

int sipc_stream_listen(sipc_stream_listener *l, uv_loop_t *loop, const struct sockaddr *addr,
                       int backlog, uv_connection_cb cb)
{
    (void)l, (void)loop, (void)addr, (void)backlog, (void)cb;
    return SIPC_EINVAL;
}

void sipc_stream_listener_close(sipc_stream_listener *l, void (*closed)(sipc_stream_listener *l))
{
    closed(l);
}

int sipc_stream_accept(sipc_stream **out, sipc_stream_listener *l, unsigned kinds,
                       sipc_tls_config *tlscfg, const sipc_stream_events *ev, void *owner)
{
    (void)out, (void)l, (void)kinds, (void)tlscfg, (void)ev, (void)owner;
    return SIPC_EINVAL;
}

int sipc_stream_write_parts(sipc_stream *s, sipc_buf *b, const sipc_piece *parts, size_t n)
{
    if (s->closing)
        return SIPC_ECLOSED;
    if (!s->ready)
        return SIPC_ENOTCONN;
    if (s->peer && !s->peer->closing) {
        if (sipc_buf_append(&s->peer->in, b->data, b->len) != 0)
            return SIPC_ENOMEM;
        s->written += b->len;
        b->len = 0;
        if (n && s->fail_parts) {
            int err = s->fail_parts;
            s->fail_parts = 0;
            return err;
        }
        for (size_t i = 0; i < n; i++) {
            if (sipc_buf_append(&s->peer->in, parts[i].base, parts[i].len) != 0)
                return SIPC_ENOMEM;
            s->written += parts[i].len;
        }
    }
    b->len = 0;
    return 0;
}

void ms_fail_parts(sipc_stream *s, int err)
{
    s->fail_parts = err;
}

int sipc_stream_write(sipc_stream *s, sipc_buf *b)
{
    return sipc_stream_write_parts(s, b, NULL, 0);
}

size_t sipc_stream_queued(const sipc_stream *s)
{
    /* written and not yet read by the other end */
    return s->peer ? s->peer->in.len : 0;
}

uint64_t sipc_stream_sent(const sipc_stream *s)
{
    /* what the other end has read */
    return s->written - sipc_stream_queued(s);
}

int sipc_stream_acked_bytes(const sipc_stream *s, uint64_t *acked, uint32_t *ago_ms)
{
    /* no kernel in between: what the other end has read is all it has */
    (void)s, (void)acked, (void)ago_ms;
    return UV_ENOTSUP;
}

int sipc_stream_acked_all_at(const sipc_stream *s, uint64_t *at)
{
    (void)s, (void)at;
    return UV_ENOTSUP;
}

void sipc_stream_cork(sipc_stream *s, int on)
{
    (void)s;
    (void)on;
}

size_t sipc_stream_kept(const sipc_stream *s)
{
    (void)s;
    return 0;
}

int sipc_stream_push(sipc_stream *s)
{
    (void)s;
    return 0;
}

size_t sipc_stream_early_write(const sipc_stream *s)
{
    (void)s;
    return 64 * 1024; /* as a TLS stream: large answers leave before the flusher */
}

size_t sipc_stream_buffer_bytes(const sipc_stream *s)
{
    /* the other end's input buffer plays the socket's send buffer */
    return (s->peer ? s->peer->in.cap : 0) + s->stuck;
}

size_t sipc_stream_trimmable(const sipc_stream *s)
{
    return s->peer && s->peer->in.len == 0 ? s->peer->in.cap : 0;
}

void ms_hold_stuck(sipc_stream *s, size_t n)
{
    s->stuck = n;
}

size_t sipc_stream_trim(sipc_stream *s)
{
    if (!s->peer || s->peer->in.len != 0)
        return 0;
    size_t n = s->peer->in.cap;
    sipc_buf_free(&s->peer->in);
    return n;
}

void sipc_stream_close(sipc_stream *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    if (s->peer)
        s->peer->eof = 1; /* after what was already written */
}

void sipc_stream_abort(sipc_stream *s)
{
    if (s->peer && !s->closing)
        s->peer->in.len = 0; /* queued bytes are dropped */
    sipc_stream_close(s);
}

int sipc_stream_is_tls(const sipc_stream *s)
{
    (void)s;
    return 0;
}

void sipc_stream_pause(sipc_stream *s, int pause)
{
    s->paused = pause;
}

void sipc_stream_describe(const sipc_stream *s, sipc_stream_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->peer, sizeof info->peer, "%s", s->name);
}

void *sipc_stream_owner(const sipc_stream *s)
{
    return s->owner;
}

void sipc_stream_set_owner(sipc_stream *s, void *owner)
{
    s->owner = owner;
}

const char *sipc_stream_peer(const sipc_stream *s)
{
    return s->name;
}

int sipc_stream_got_bytes(const sipc_stream *s)
{
    return s->got_bytes;
}

void ms_arrived(sipc_stream *s, uint64_t when)
{
    s->last_read = when;
}

uint64_t sipc_stream_last_read(const sipc_stream *s)
{
    return s->last_read;
}

uint64_t sipc_stream_connected_at(const sipc_stream *s)
{
    (void)s;
    return 0; /* never connects: the dial's time stands */
}

size_t sipc_stream_first_bytes(const sipc_stream *s, uint8_t out[4])
{
    (void)s;
    (void)out;
    return 0; /* no sniffing here: nothing fails on its first bytes */
}

int sipc_stream_source_applies(const struct sockaddr *addr, const struct sockaddr *source)
{
    (void)addr, (void)source;
    return 0; /* no sockets here */
}

uint64_t sipc_stream_key_blocks(const sipc_stream *s)
{
    (void)s;
    return 0; /* plaintext: no keys */
}

int sipc_stream_connecting(const sipc_stream *s)
{
    (void)s;
    return 0;
}

int sipc_stream_in_tls_handshake(const sipc_stream *s)
{
    (void)s;
    return 0;
}

int sipc_stream_tls_resume_failed(const sipc_stream *s)
{
    (void)s;
    return 0; /* no TLS here */
}

int sipc_stream_tls_resume_refused(const sipc_stream *s)
{
    (void)s;
    return 0;
}
