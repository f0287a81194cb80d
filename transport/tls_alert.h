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

/* If rec (len bytes, about to be sent) is one plaintext fatal
 * bad_certificate alert record and want another certificate alert, writes
 * the record with want's code into out (7 bytes) and returns 1; else 0. */
int sipc__tls_alert_recode(const uint8_t *rec, size_t len, int want, uint8_t out[7]);

#endif
