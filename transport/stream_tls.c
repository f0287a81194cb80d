/* stream_tls.c - the TLS stream: ciphertext from the socket goes through the
 * TLS engine; plaintext comes out to the same events as a plaintext stream. */
#include <assert.h>
#include <stdio.h>

#include "transport/stream_impl.h"

static void tls_become_open(sipc_stream *s)
{
    if (s->state == SIPC_STREAM_HANDSHAKE) {
        s->state = SIPC_STREAM_OPEN;
        s->ev->ready(s);
    }
}

static int tls_on_plain(void *arg, const uint8_t *p, size_t n)
{
    sipc_stream *s = arg;
    /* data can ride in the same read as the peer's Finished */
    tls_become_open(s);
    if (s->state != SIPC_STREAM_OPEN)
        return SIPC_ECLOSED;
    return s->ev->data(s, p, n);
}

/* Only once open: before that no frame can be under reassembly. */
static size_t tls_window(void *arg, uint8_t **p)
{
    sipc_stream *s = arg;
    if (s->state != SIPC_STREAM_OPEN || !s->ev->rx_window)
        return 0;
    return s->ev->rx_window(s, p);
}

static int tls_fail(sipc_stream *s, int r)
{
    (void)sipc_stream_flush_tx(s); /* let an alert leave */
    sipc_stream_fail(s, r, sipc_tls_detail(s->tls));
    return r;
}

static int tls_start(sipc_stream *s)
{
    /* states only move forward: a stream starts TLS once, before it is open */
    assert(s->state == SIPC_STREAM_CONNECTING || s->state == SIPC_STREAM_SNIFFING);
    assert(s->tls == NULL && s->tlscfg != NULL);
    int r = sipc_tls_new(&s->tls, s->tlscfg, s->is_server, &s->tx);
    if (r != 0)
        return r;
    s->state = SIPC_STREAM_HANDSHAKE;
    sipc_tls_set_window(s->tls, tls_window, s);
    if (!s->is_server)
        sipc_tls_set_peer_key(s->tls, s->peer); /* resume its last session */
    sipc_tls_set_peer_name(s->tls, s->peer);
    r = sipc_tls_start(s->tls);
    if (r != 0)
        return tls_fail(s, r);
    return sipc_stream_flush_tx(s);
}

static int tls_input(sipc_stream *s, const uint8_t *p, size_t n)
{
    /* What the owner writes while this input completes the handshake (its
     * hello, first calls, or a close) leaves with our Finished, in one
     * segment, when the input is done. */
    s->hold_tx = s->state != SIPC_STREAM_OPEN;
    s->held_tx = 0;
    int r = sipc_tls_input(s->tls, p, n, tls_on_plain, s);
    s->hold_tx = 0;
    /* open for writing with the handshake done, or earlier for a server
     * resuming a session: its first data leaves with its Finished */
    if (r == 0 && sipc_tls_writable(s->tls))
        tls_become_open(s);
    if (r != 0) {
        if (r == SIPC_ECLOSED && sipc_tls_peer_closed(s->tls)) {
            s->peer_done = 1;
            (void)sipc_stream_flush_tx(s);
            sipc_stream_fail(s, SIPC_ECLOSED, "peer closed the connection (close_notify)");
            return r;
        }
        /* a data-callback error was reported by its owner already */
        return tls_fail(s, r);
    }
    if (s->state == SIPC_STREAM_CLOSING)
        return 0;
    int held = s->held_tx;
    s->held_tx = 0;
    r = sipc_stream_flush_tx(s);
    /* our flight is on its way: what the engine can do ahead for the next
     * handshake now overlaps the peer's work */
    if (r == 0 && s->tls)
        sipc_tls_after_output(s->tls);
    /* the owner saw its writes queued: tell it they left, as a finished
     * write request would */
    if (r == 0 && held && s->tcp.write_queue_size == 0 && s->ev->drained)
        s->ev->drained(s);
    return r;
}

static int tls_write(sipc_stream *s, sipc_buf *pt, const sipc_piece *parts, size_t n)
{
    int r = pt->len ? sipc_tls_write(s->tls, pt->data, pt->len) : 0;
    pt->len = 0;
    for (size_t i = 0; i < n && r == 0; i++)
        if (parts[i].len)
            r = sipc_tls_write(s->tls, parts[i].base, parts[i].len);
    if (r != 0)
        return r;
    if (s->hold_tx) {
        s->held_tx = 1;
        return 0;
    }
    return sipc_stream_flush_tx(s);
}

static void tls_goodbye(sipc_stream *s)
{
    if (s->tls)
        sipc_tls_close_notify(s->tls);
}

static void tls_destroy(sipc_stream *s)
{
    sipc_tls_free(s->tls);
    s->tls = NULL;
}

static void tls_describe(const sipc_stream *s, sipc_stream_info *info)
{
    if (!s->tls)
        return;
    info->tls_resumed = sipc_tls_resumed(s->tls);
    info->tls_direct = sipc_tls_direct(s->tls);
    sipc_tls_describe(s->tls, info->tls_version, sizeof info->tls_version, info->tls_cipher,
                      sizeof info->tls_cipher, info->peer_fingerprint,
                      sizeof info->peer_fingerprint);
}

const sipc_stream_ops sipc_stream_tls_ops = {
    .name = "tls",
    .start = tls_start,
    .input = tls_input,
    .write = tls_write,
    .goodbye = tls_goodbye,
    .destroy = tls_destroy,
    .describe = tls_describe,
    .early_write = 64 * 1024,
};
