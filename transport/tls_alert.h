/* tls_alert.h - TLS alerts (RFC 5246 7.2) as sipc names them, and what the
 * certificate alerts a peer sends tell this side (tls_alert.c). Private to
 * transport/. */
#ifndef SIPC_TLS_ALERT_H
#define SIPC_TLS_ALERT_H

#include <stddef.h>
#include <stdint.h>

/* The alert's name ("certificate_revoked"), or its number for one
 * unassigned. */
const char *sipc__tls_alert_text(int code);

/* 1 if code is an alert by which a peer refuses this side's certificate. */
int sipc__tls_alert_refuses_cert(int code);

/* Writes into out (len bytes) what such an alert tells the side whose
 * certificate was refused: the cause a sipc peer sends it for, where its
 * log says more, and the fix where the alert alone shows it. */
void sipc__tls_cert_alert_words(int code, char *out, size_t len);

/* Writes into out (len bytes) what a peer's certificate_expired alert tells
 * this side, whose chain is valid from not_before to not_after (the issuer
 * certificate bounding either named in not_before_of, not_after_of; "" the
 * leaf), by its clock now: TLS has no alert for "not yet valid", so by this
 * side's clock the chain either is outside its validity too (said with the
 * date) or it is not, and then the clock of the peer (named by peer, ""
 * unknown) is the likely culprit: the operator of a healthy node would
 * otherwise look for an expiry that is not there. */
void sipc__tls_expired_alert_words(int64_t now, int64_t not_before, int64_t not_after,
                                   const char *not_before_of, const char *not_after_of,
                                   const char *peer, char *out, size_t len);

/* If rec (len bytes, about to be sent) is one plaintext fatal
 * bad_certificate alert record and want another certificate alert, writes
 * the record with want's code into out (7 bytes) and returns 1; else 0. */
int sipc__tls_alert_recode(const uint8_t *rec, size_t len, int want, uint8_t out[7]);

#endif
