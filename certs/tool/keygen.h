/* keygen.h - a new self-signed key pair for a cluster (tlstool create). */
#ifndef SIPC_CERTS_KEYGEN_H
#define SIPC_CERTS_KEYGEN_H

#include <stddef.h>

#include "certs/keypair.h"

typedef enum {
    SIPC_KEYALG_EC256 = 0, /* default */
    SIPC_KEYALG_EC384,
    SIPC_KEYALG_RSA2048,
    SIPC_KEYALG_RSA3072
} sipc_keyalg;

/* "ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072". 0 or SIPC_EINVAL. */
int sipc_keyalg_parse(const char *s, sipc_keyalg *out);
const char *sipc_keyalg_name(sipc_keyalg a);

/* Self-signed certificate valid from now for days, subject "CN=x, O=y, ..."
 * or a bare common name (read by sipc_subject_parse, as [tls] subject is;
 * CN, O, OU, C, ST, L, emailAddress, each once), CA:TRUE, key usage digitalSignature + keyCertSign,
 * extended key usage serverAuth + clientAuth, random serial. The key is
 * PKCS#8-free traditional DER (SEC1 / PKCS#1). 0 or a negative sipc code. */
int sipc_keygen_selfsigned(sipc_keyalg alg, const char *subject, int days, sipc_keypair *kp,
                           char *err, size_t errlen);

#endif
