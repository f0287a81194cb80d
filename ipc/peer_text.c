/* peer_text.c - what a peer that is no sipc peer at all sent, as text in
 * conn.c's messages: an HTTP client on a node's port, an HTTP server at a
 * dialed address. */
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
