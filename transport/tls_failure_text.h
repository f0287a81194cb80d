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
 * received, NULL: none; a server keeps them) show it, or where in_hello
 * says the failure came on the peer's ClientHello (a server that has sent
 * nothing yet); wolfSSL's code and text follow sipc's words, and stand
 * alone for a code without them. */
void sipc__tls_failure_text(int e, int is_server, int in_hello, const uint8_t *kept,
                            size_t kept_len, char *out, size_t len);

/* The fatal alert RFC 5246 (7.2.2, 6.2.1) names for a handshake that failed
 * on the peer's bytes with the wolfSSL error e, which wolfSSL 5.5.4 mostly
 * closes without: a message that cannot be read (decode_error), one out of
 * order or a record of an unknown type (unexpected_message), a message
 * larger than the library takes or an extension twice (illegal_parameter),
 * a record in another version (protocol_version), a record longer than TLS
 * allows (record_overflow: rec_len, the length its header announced, is
 * over 2^14 + 2048; 0 when unknown), a certificate that cannot be read
 * (bad_certificate). 0 for any other error. */
int sipc__tls_failure_alert(int e, size_t rec_len);

/* What a peer that sent no certificate (wolfSSL's NO_PEER_CERT) sent
 * instead, from the handshake bytes kept as above: an empty certificate
 * list, no Certificate message at all, or, when they do not show it, the
 * two named together. */
void sipc__tls_no_cert_text(const uint8_t *kept, size_t kept_len, char *out, size_t len);

#endif
