/* p256_scalar.h - arithmetic modulo n, the order of the NIST P-256 group
 * (FIPS 186-4, D.1.2.3), in constant time: what ECDSA does with its scalars.
 *
 * A scalar is four 64-bit limbs, least significant first. Every function here
 * takes the same time and touches the same memory whatever the values (no
 * branch or index depends on them), so they may hold secrets; the three that
 * say otherwise are for public values only. transport/tls_ecdsa_own.c uses
 * them to verify a signature made with the node's own key as one
 * multiplication of the base point, which needs the private key in a product
 * (u2 * d mod n). */
#ifndef SIPC_BASE_P256_SCALAR_H
#define SIPC_BASE_P256_SCALAR_H

#include <stdint.h>

typedef struct sipc_p256n {
    uint64_t w[4];
} sipc_p256n;

/* The 32 big-endian bytes of in, as they are (no reduction). */
void sipc_p256n_from_be(sipc_p256n *r, const uint8_t in[32]);

/* The 32 big-endian bytes of a. */
void sipc_p256n_to_be(uint8_t out[32], const sipc_p256n *a);

/* r = a mod n for any a < 2^256 (one conditional subtraction, as 2^256 < 2n). */
void sipc_p256n_reduce(sipc_p256n *r, const sipc_p256n *a);

/* 1 when 0 < a < n, else 0. Public values only (it may branch). */
int sipc_p256n_is_valid(const sipc_p256n *a);

/* 1 when a == b, else 0. Public values only (it may branch). */
int sipc_p256n_equal(const sipc_p256n *a, const sipc_p256n *b);

/* 1 when a is zero, else 0, in constant time. */
int sipc_p256n_is_zero(const sipc_p256n *a);

/* r = a + b mod n, for a, b < n. */
void sipc_p256n_add(sipc_p256n *r, const sipc_p256n *a, const sipc_p256n *b);

/* Montgomery multiplication: r = a * b / 2^256 mod n, for a * b < n * 2^256
 * (one factor below n, the other below 2^256); r < n. r may alias a or b. */
void sipc_p256n_mont_mul(sipc_p256n *r, const sipc_p256n *a, const sipc_p256n *b);

/* r = a * 2^256 mod n (into the Montgomery domain), for any a < 2^256. */
void sipc_p256n_to_mont(sipc_p256n *r, const sipc_p256n *a);

/* r = 1 / a mod n, for 0 < a < n (0, or a >= n, gives 0). Public values
 * only: its time depends on a (Bernstein and Yang's divsteps, batched; some
 * 2 us where exponentiation with the product above takes 15). */
void sipc_p256n_inv_public(sipc_p256n *r, const sipc_p256n *a);

#endif
