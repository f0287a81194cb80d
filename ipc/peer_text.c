/* peer_text.c - what a peer that is no sipc peer at all sent, in conn.c's
 * messages: an HTTP client or a port scanner on a node's port, an SSLv2
 * ClientHello, an HTTP server at a dialed address. One text for both kinds
 * of port, so that a TLS port and a plaintext one name the same bytes the
 * same way. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ipc/internal.h"
#include "transport/stream.h"

/* How the texts below quote a peer's first bytes, which the rate limiter's
 * keys fold (sipc__foreign_quote): in hex, or as text, 1 to 4 characters
 * any of which may be a quote or a parenthesis, followed by a close that
 * ends no shorter quote. */
#define HEX_OPEN "its first bytes ("
#define TEXT_OPEN "text ('"
#define TEXT_CLOSE "'), e.g. "

/* Whether the n bytes at p are printable ASCII; if so, writes them,
 * NUL-terminated, to out. */
static int bytes_text(const uint8_t *p, size_t n, char out[5])
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

/* Whether the first 4 bytes a peer sent are an SSLv2-format ClientHello
 * (testssl's and old scanners' SSLv2 probe; RFC 6101 appendix E): a
 * two-byte record header with the top bit set, message type 1
 * (CLIENT-HELLO), then the high byte of the version it offers, 0 for
 * SSLv2's 0x0002 or 3 for SSLv3 and TLS (a compatible hello). */
static int sslv2_hello(const uint8_t *b, size_t n)
{
    return n == 4 && (b[0] & 0x80) && b[2] == 1 && (b[3] == 0 || b[3] == 3);
}

void sipc__foreign_peer_says(const sipc_conn *c, const uint8_t *b, size_t n, int tls_port,
                             char *out, size_t len)
{
    /* the SSLv2 record header arrives unencrypted, where a TLS record or a
     * plaintext frame belongs: never inside TLS */
    int in_clear = tls_port || !c->stream || !sipc_stream_is_tls(c->stream);
    if (c->is_server && in_clear && sslv2_hello(b, n)) {
        snprintf(out, len, "peer %s sent an SSLv2 ClientHello: sipc speaks TLS 1.2 only%s",
                 c->peer_addr, tls_port ? "" : ", and this port plaintext");
        return;
    }
    const char *what = tls_port ? "speaks neither TLS nor sipc" : "does not speak sipc";
    char text[5];
    if (bytes_text(b, n, text)) {
        snprintf(out, len,
                 c->is_server ? "peer %s %s: its first bytes are " TEXT_OPEN "%s" TEXT_CLOSE
                                "an HTTP client or a port scanner on this port"
                              : "peer %s %s: it answered with " TEXT_OPEN "%s" TEXT_CLOSE
                                "an HTTP server: is that the right address and port?",
                 c->peer_addr, what, text);
        return;
    }
    char hex[16] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && i < 4; i++)
        at += (size_t)snprintf(hex + at, sizeof hex - at, "%s%02x", i ? " " : "", b[i]);
    snprintf(out, len, "peer %s %s: " HEX_OPEN "%s) begin %s", c->peer_addr, what, hex,
             tls_port ? "neither a TLS record nor a sipc frame" : "no sipc frame");
}

size_t sipc__foreign_quote(const char *s, size_t *open)
{
    static const size_t hex_open = sizeof HEX_OPEN - 1, text_open = sizeof TEXT_OPEN - 1;
    if (strncmp(s, HEX_OPEN, hex_open) == 0) {
        /* "41 a0 e7 86": hex digits and spaces, then ')' */
        size_t n = strspn(s + hex_open, "0123456789abcdef ");
        *open = hex_open;
        return n >= 2 && n <= 11 && s[hex_open + n] == ')' ? n : 0;
    }
    if (strncmp(s, TEXT_OPEN, text_open) == 0) {
        /* the first close after 1 to 4 characters is the quote's own: a
         * shorter quote followed by the close cannot look like one */
        *open = text_open;
        for (size_t n = 1; n <= 4 && s[text_open + n - 1]; n++)
            if (strncmp(s + text_open + n, TEXT_CLOSE, sizeof TEXT_CLOSE - 1) == 0)
                return n;
    }
    return 0;
}
