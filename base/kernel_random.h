/* kernel_random.h - random bytes straight from the kernel's CSPRNG
 * (getrandom(2)): for sipc, and for the bundled wolfSSL, whose random
 * generator is this function (CUSTOM_RAND_GENERATE_BLOCK,
 * cmake/WolfSSL.cmake) instead of a Hash-DRBG instantiated and health-tested
 * for every connection. Nothing weaker is ever used instead: when the kernel
 * cannot answer (no getrandom, seccomp), the call fails. */
#ifndef SIPC_BASE_KERNEL_RANDOM_H
#define SIPC_BASE_KERNEL_RANDOM_H

#include <stddef.h>

/* Fills buf with len random bytes (any len; 0 does nothing). Blocks only
 * while the kernel's pool is not yet initialised after boot. 0, or a
 * negative errno code (libuv's convention on Linux) with buf's contents
 * undefined. */
int sipc_kernel_random(void *buf, size_t len);

/* wolfSSL's failure code for a random generator (RNG_FAILURE_E), which
 * sipc_kernel_random_block returns (base/ does not see wolfSSL's headers;
 * tests/unit/test_kernel_random.c checks the value). */
#define SIPC_KERNEL_RANDOM_WOLFSSL_FAILURE (-199)

/* The bundled wolfSSL's block generator: the signature wolfCrypt's
 * wc_RNG_GenerateBlock calls (byte *, word32), 0 on success, else
 * SIPC_KERNEL_RANDOM_WOLFSSL_FAILURE, which makes wolfSSL's call fail. */
int sipc_kernel_random_block(unsigned char *out, unsigned int sz);

#endif
