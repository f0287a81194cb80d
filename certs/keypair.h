/* keypair.h - a node's certificate chain and private key in memory.
 *
 * node.crt is PEM: the certificate, then any chain certificates, then the
 * private key. This module splits such a file (or separate cert/key files)
 * into DER, computes fingerprints and never writes key material anywhere
 * except where its caller says. */
#ifndef SIPC_CERTS_KEYPAIR_H
#define SIPC_CERTS_KEYPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most certificates of one presented chain sipc takes, from a file or
 * a handshake (the handshake's SIPC_TLS_MAX_CHAIN is this number): wolfSSL
 * reads no more than MAX_CHAIN_DEPTH (9) of a peer's Certificate message,
 * so a chain the tools accept the handshake takes too. A longer chain is
 * refused, saying so (the verifier's path may add a trusted root: at most
 * SIPC_VFY_MAX_LINKS). */
#define SIPC_KP_MAX_CHAIN 9

typedef enum { SIPC_KEY_NONE = 0, SIPC_KEY_ECC, SIPC_KEY_RSA } sipc_key_type;

typedef struct sipc_der {
    uint8_t *data;
    size_t len;
} sipc_der;

typedef struct sipc_keypair {
    sipc_der certs[SIPC_KP_MAX_CHAIN]; /* [0] is the leaf, then issuers in file order */
    int ncerts;
    sipc_der key;                      /* PKCS#8, SEC1 or PKCS#1 DER; zeroed on free */
    sipc_key_type key_type;
    char fingerprint[65];              /* hex SHA-256 of certs[0] */
} sipc_keypair;

/* Reads PEM certificates and (if key_path is NULL) the key from cert_path,
 * else the key from key_path. On error fills err with the file and reason and
 * returns a negative sipc code (SIPC_ETLSCONFIG). */
int sipc_keypair_load_pem(sipc_keypair *kp, const char *cert_path, const char *key_path, char *err,
                          size_t errlen);
/* The same from a PEM buffer in memory. */
int sipc_keypair_from_pem(sipc_keypair *kp, const char *pem, size_t len, char *err, size_t errlen);
/* The same from the text of the file path, read by the caller (errors name
 * path, as sipc_keypair_load_pem's do). */
int sipc_keypair_from_file_pem(sipc_keypair *kp, const char *pem, size_t len, const char *path,
                               char *err, size_t errlen);
void sipc_keypair_free(sipc_keypair *kp);
/* The hex SHA-256 of the first certificate of the PEM file path (node.crt
 * included), into fp; "" on failure. Only that certificate is decoded: a
 * key in the file is neither decoded nor checked, and the text read is
 * wiped when freed. Only a regular file is read (a link followed: a FIFO
 * would block). 0, or SIPC_ETLSCONFIG with err naming the file. */
int sipc_cert_file_fingerprint(const char *path, char fp[65], char *err, size_t errlen);
/* Does the private key of kp belong to its leaf certificate (*match)? It
 * signs with the key and checks the signature with the certificate's public
 * key. 0, or SIPC_EFORMAT when the key or certificate cannot be read (a key
 * of another type than the certificate's included), SIPC_ETLS, SIPC_ENOMEM. */
int sipc_keypair_matches(const sipc_keypair *kp, bool *match, char *err, size_t errlen);
/* The check every loader of a node's pair makes (sipcd, sipcctl, tlstool
 * verify and status), with one text: 0 when the key belongs to the leaf;
 * else SIPC_ETLSCONFIG with err "the private key in PATH does not belong to
 * its certificate ...", or SIPC_ENOMEM. */
int sipc_keypair_check_match(const sipc_keypair *kp, const char *path, char *err, size_t errlen);

/* Checks a private key before wolfSSL is given it: der (exactly len bytes)
 * is a PKCS#8 PrivateKeyInfo, SEC1 ECPrivateKey or PKCS#1 RSAPrivateKey,
 * strict DER, that wolfCrypt decodes; an EC key's private value is neither
 * zero nor longer than its curve's size (wolfSSL 5.5.4 overflows a stack
 * buffer exporting such a key, as checking it against a certificate does).
 * Returns 0 and sets *type; SIPC_ENOTSUP for a PKCS#8 key of an algorithm
 * other than ECDSA and RSA; SIPC_EFORMAT otherwise. The reason goes to
 * (err, errlen). */
int sipc_key_check(const uint8_t *der, size_t len, sipc_key_type *type, char *err, size_t errlen);
/* The same for a PKCS#8 PrivateKeyInfo only; on success der[*off] is where
 * its SEC1 or PKCS#1 key starts, *klen bytes long. */
int sipc_key_check_pkcs8(const uint8_t *der, size_t len, sipc_key_type *type, size_t *off,
                         size_t *klen, char *err, size_t errlen);
/* The type of a private key sipc_key_check accepts; SIPC_KEY_NONE for any
 * other. */
sipc_key_type sipc_key_type_of(const uint8_t *der, size_t len);
/* Hex SHA-256 of der into out[65]. */
void sipc_fingerprint(const uint8_t *der, size_t len, char out[65]);
/* SHA-256 of a (alen bytes) followed by b (blen bytes) into out (either
 * may be empty). 0, SIPC_EINVAL for a part over 4 GiB, or SIPC_ENOMEM when
 * wolfCrypt cannot hash. */
int sipc_sha256_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                    uint8_t out[32]);
void sipc_der_free(sipc_der *d);

#endif
