/* tls_failure_text.h - an operator's words for the handshake failures that
 * wolfSSL reports only by its code (tls_failure_text.c). Private to
 * transport/. */
#ifndef SIPC_TLS_FAILURE_TEXT_H
#define SIPC_TLS_FAILURE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Writes into out (len bytes) what the wolfSSL error e of a failed
 * handshake means, naming the peer's message that caused it where the
 * handshake bytes kept (kept_len bytes of the peer's TLS records as
 * received, NULL: none; a server keeps them) show it; wolfSSL's own text
 * for a code without sipc's words. */
void sipc__tls_failure_text(int e, int is_server, const uint8_t *kept, size_t kept_len, char *out,
                            size_t len);

/* What a peer that sent no certificate (wolfSSL's NO_PEER_CERT) sent
 * instead, from the handshake bytes kept as above: an empty certificate
 * list, no Certificate message at all, or, when they do not show it, the
 * two named together. */
void sipc__tls_no_cert_text(const uint8_t *kept, size_t kept_len, char *out, size_t len);

#endif
