/* tls_verify_codes.h - wolfSSL's verify error codes as sipc reads them
 * (tls_verify_codes.c). Private to transport/. */
#ifndef SIPC_TLS_VERIFY_CODES_H
#define SIPC_TLS_VERIFY_CODES_H

/* An operator's words for a refusal wolfSSL reported (its native code or
 * OpenSSL's number), NULL for one without. */
const char *sipc__tls_verify_error_text(int e);
/* 1 if e is a path error that sipc's verifier decides instead of wolfSSL:
 * overruled when the verifier accepts the chain. */
int sipc__tls_path_error_overridable(int e);

#endif
