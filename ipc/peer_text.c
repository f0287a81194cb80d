/* peer_text.c - what a peer that is no sipc peer at all sent, in conn.c's
 * messages: as text, an HTTP client on a node's port, an HTTP server at a
 * dialed address; else by its first bytes, an SSLv2 ClientHello named. */
#include <assert.h>
#include <stdio.h>

#include "base/endian.h"
#include "ipc/internal.h"

/* Whether the n bytes at p are printable ASCII; if so, writes them,
 * NUL-terminated, to out. */
int sipc__bytes_text(const uint8_t *p, size_t n, char out[5])
{
    assert(n <= 4);
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
        out[i] = (char)p[i];
    }
    out[n] = 0;
    return n > 0;
}

/* "peer P <what>: its first bytes are text ('GET '), e.g. ...": a peer that
 * is no sipc peer at all, as either end tells it. */
void sipc__text_peer_says(const sipc_conn *c, const char *what, const char *text, char *out,
                          size_t len)
{
    snprintf(out, len,
             c->is_server ? "peer %s %s: its first bytes are text ('%s'), e.g. an HTTP client or "
                            "a port scanner on this port"
                          : "peer %s %s: it answered with text ('%s'), e.g. an HTTP server: is "
                            "that the right address and port?",
             c->peer_addr, what, text);
}

/* The same for the 4 bytes of a frame header (big-endian len). */
int sipc__first_bytes_text(size_t len, char out[5])
{
    uint8_t b[4];
    sipc_be32_put(b, (uint32_t)len);
    return len <= UINT32_MAX && sipc__bytes_text(b, 4, out);
}

/* "peer P speaks neither TLS nor sipc: its first bytes (05 01 00) begin
 * ...": the n (at most 4) first bytes b of a peer that sent no text. An
 * SSLv2 ClientHello (RFC 6101 E.2: a 2-byte length with the top bit set,
 * then message type 1), from an old client or a scanner's probe, is said
 * to be one: no TLS record or sipc frame begins so. */
void sipc__bytes_peer_says(const sipc_conn *c, const uint8_t *b, size_t n, char *out, size_t len)
{
    char hex[16] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && i < 4; i++)
        at += (size_t)snprintf(hex + at, sizeof hex - at, "%s%02x", i ? " " : "", b[i]);
    if (n >= 3 && (b[0] & 0x80) && b[2] == 1)
        snprintf(out, len, "peer %s sent an SSLv2 ClientHello (its first bytes: %s): sipc speaks "
                 "TLS 1.2 only; configure the client for TLS 1.2", c->peer_addr, hex);
    else
        snprintf(out, len, "peer %s speaks neither TLS nor sipc: its first bytes (%s) begin neither "
                 "a TLS record nor a sipc frame", c->peer_addr, hex);
}
