/* ecdsa_speed.c - single-core cost of the ECDSA P-256 and ECDH operations of
 * a full handshake, as the sipc build's wolfCrypt does them, beside the
 * verification with our own key (transport/tls_ecdsa_own.c) that replaces
 * wolfCrypt's when a signature was made with the node's own key pair.
 *
 *   sipc-ecdsa-speed [SECS]     default 1 s per operation
 *
 * Prints one line per operation, microseconds of this process's CPU time:
 *   ECDSA op=verify-wolfcrypt us=...
 * op: keygen (an ECDHE key), ecdh (a shared secret with a peer's ephemeral
 * key), sign (wolfCrypt's, a random nonce), sign-node (the handshake's:
 * transport/tls_ecdsa_sign.c, the key DER decoded, an RFC 6979 nonce, the
 * signature checked; 0 where this build has no deterministic nonces),
 * verify-wolfcrypt, verify-own (0 where this build has no public-key
 * callbacks and so no own-key path). Every verification must accept; the
 * program fails otherwise. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport/tls_ecdsa_own.h"
#include "transport/tls_ecdsa_sign.h"

/* CPU time, as sipc-aead-speed: the cost on one core, whatever share of it
 * the process gets. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { OP_KEYGEN, OP_ECDH, OP_SIGN, OP_SIGN_NODE, OP_VERIFY_WOLF, OP_VERIFY_OWN, OP_N };
static const char *const op_name[OP_N] = {"keygen", "ecdh", "sign", "sign-node",
                                          "verify-wolfcrypt", "verify-own"};

typedef struct bench {
    WC_RNG rng;
    ecc_key key, peer, eph;
    sipc_ecdsa_own *own;
    unsigned char spki[128], hash[32], sig[80], der[256];
    int spki_len, der_len;
    word32 sig_len;
} bench;

/* One operation; 0 on success. */
static int run_op(bench *b, int op)
{
    int res = 0;
    unsigned char secret[32], sig[80];
    word32 slen = sizeof secret, l = sizeof sig;
    size_t nl = sizeof sig;
    switch (op) {
    case OP_KEYGEN:
        return wc_ecc_make_key_ex(&b->rng, 32, &b->eph, ECC_SECP256R1);
    case OP_ECDH:
        return wc_ecc_shared_secret(&b->key, &b->peer, secret, &slen);
    case OP_SIGN:
        return wc_ecc_sign_hash(b->hash, sizeof b->hash, sig, &l, &b->rng, &b->key);
    case OP_SIGN_NODE:
        return sipc_ecdsa_sign_node(b->der, (size_t)b->der_len, b->hash, sizeof b->hash, &b->rng,
                                    b->own, sig, &nl);
    case OP_VERIFY_WOLF:
        if (wc_ecc_verify_hash(b->sig, b->sig_len, b->hash, sizeof b->hash, &res, &b->key) != 0)
            return -1;
        return res == 1 ? 0 : -1;
    default:
        if (!sipc_ecdsa_own_verify(b->own, b->spki, (size_t)b->spki_len, b->sig, b->sig_len,
                                   b->hash, sizeof b->hash, &res))
            return -1;
        return res == 1 ? 0 : -1;
    }
}

#define USAGE "usage: sipc-ecdsa-speed [SECS (0-60]]\n"

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf(USAGE "CPU microseconds per ECDSA P-256 / ECDH operation, wolfCrypt's and the\n"
                     "verification with our own key; SECS per operation (default 1).\n");
        return 0;
    }
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    if (argc > 2 || secs <= 0 || secs > 60) {
        fprintf(stderr, USAGE);
        return 64;
    }
    static bench b;
    if (wc_InitRng(&b.rng) != 0 || wc_ecc_init(&b.key) != 0 || wc_ecc_init(&b.peer) != 0 ||
        wc_ecc_init(&b.eph) != 0 || wc_ecc_make_key_ex(&b.rng, 32, &b.key, ECC_SECP256R1) != 0 ||
        wc_ecc_make_key_ex(&b.rng, 32, &b.peer, ECC_SECP256R1) != 0 ||
        wc_RNG_GenerateBlock(&b.rng, b.hash, sizeof b.hash) != 0) {
        fprintf(stderr, "sipc-ecdsa-speed: wolfCrypt set-up failed\n");
        return 1;
    }
#ifdef ECC_TIMING_RESISTANT
    /* wolfCrypt's generic code blinds the shared secret with random values */
    if (wc_ecc_set_rng(&b.key, &b.rng) != 0) {
        fprintf(stderr, "sipc-ecdsa-speed: wolfCrypt set-up failed\n");
        return 1;
    }
#endif
    int dl = b.der_len = wc_EccKeyToDer(&b.key, b.der, sizeof b.der);
    b.spki_len = wc_EccPublicKeyToDer(&b.key, b.spki, sizeof b.spki, 1);
    b.sig_len = sizeof b.sig;
    if (dl <= 0 || b.spki_len <= 0 || sipc_ecdsa_own_new(&b.own, b.der, (size_t)dl) != 0 ||
        wc_ecc_sign_hash(b.hash, sizeof b.hash, b.sig, &b.sig_len, &b.rng, &b.key) != 0) {
        fprintf(stderr, "sipc-ecdsa-speed: set-up failed\n");
        return 1;
    }
    for (int op = 0; op < OP_N; op++) {
        if ((op == OP_VERIFY_OWN && !b.own) ||
            (op == OP_SIGN_NODE && (!b.own || !SIPC_TLS_ECDSA_DETERMINISTIC))) {
            printf("ECDSA op=%s us=0\n", op_name[op]);
            continue;
        }
        double t0 = now_s(), t;
        long n = 0;
        do {
            for (int i = 0; i < 16; i++, n++)
                if (run_op(&b, op) != 0) {
                    fprintf(stderr, "sipc-ecdsa-speed: %s failed\n", op_name[op]);
                    return 1;
                }
            t = now_s() - t0;
        } while (t < secs);
        printf("ECDSA op=%s us=%.1f\n", op_name[op], t / (double)n * 1e6);
    }
    sipc_ecdsa_own_free(b.own);
    return 0;
}
