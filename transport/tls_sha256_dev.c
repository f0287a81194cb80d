/* tls_sha256_dev.c - SHA-256 for wolfCrypt on the CPU's SHA extensions, as a
 * crypto-callback device (see tls_sha256_dev.h for why it is the default
 * device). Update and final work on wolfCrypt's own wc_Sha256 fields exactly
 * as its software does: digest[] holds H0..H7 in native order, buffer[] the
 * bytes of an incomplete block as they came, loLen/hiLen the length in
 * bytes; after a final the object is reset for reuse, as wolfCrypt does. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/types.h>

#include "transport/tls_sha256_dev.h"
#if SIPC_TLS_SHA256_DEV
#include <wolfssl/wolfcrypt/cryptocb.h>
#endif

#include <stdint.h>
#include <string.h>

#include "base/endian.h"
#include "base/sha256_shani.h"

#if SIPC_TLS_SHA256_DEV

#define SIPC_SHA256_DEV WOLFSSL_CAAM_DEVID

/* The reset below stands for wolfCrypt's own (static) one; these builds
 * would keep more state in the object than it resets. */
#if defined(WOLFSSL_SMALL_STACK_CACHE) || defined(WOLFSSL_ASYNC_CRYPT) || defined(WOLFSSL_HASH_KEEP)
#error "tls_sha256_dev.c resets only the fields of a plain wc_Sha256"
#endif

static const uint32_t sha256_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static void dev_update(wc_Sha256 *s, const uint8_t *in, uint32_t n)
{
    uint32_t lo = s->loLen + n;
    if (lo < s->loLen)
        s->hiLen++;
    s->loLen = lo;
    uint8_t *buf = (uint8_t *)s->buffer;
    if (s->buffLen > 0) {
        uint32_t take = WC_SHA256_BLOCK_SIZE - s->buffLen;
        if (take > n)
            take = n;
        memcpy(buf + s->buffLen, in, take);
        s->buffLen += take;
        in += take;
        n -= take;
        if (s->buffLen < WC_SHA256_BLOCK_SIZE)
            return;
        sipc_sha256_shani_blocks(s->digest, buf, 1);
        s->buffLen = 0;
    }
    if (n >= WC_SHA256_BLOCK_SIZE) {
        sipc_sha256_shani_blocks(s->digest, in, n / WC_SHA256_BLOCK_SIZE);
        in += n & ~(uint32_t)(WC_SHA256_BLOCK_SIZE - 1);
        n &= WC_SHA256_BLOCK_SIZE - 1;
    }
    if (n > 0) {
        memcpy(buf, in, n);
        s->buffLen = n;
    }
}

static int dev_final(wc_Sha256 *s, uint8_t *out)
{
    uint8_t *buf = (uint8_t *)s->buffer;
    uint64_t bits = (((uint64_t)s->hiLen << 32) | s->loLen) << 3;
    uint32_t n = s->buffLen;
    buf[n++] = 0x80;
    if (n > WC_SHA256_BLOCK_SIZE - 8) {
        memset(buf + n, 0, WC_SHA256_BLOCK_SIZE - n);
        sipc_sha256_shani_blocks(s->digest, buf, 1);
        n = 0;
    }
    memset(buf + n, 0, WC_SHA256_BLOCK_SIZE - 8 - n);
    sipc_be64_put(buf + WC_SHA256_BLOCK_SIZE - 8, bits);
    sipc_sha256_shani_blocks(s->digest, buf, 1);
    for (int i = 0; i < 8; i++)
        sipc_be32_put(out + 4 * i, s->digest[i]);
    /* As wolfCrypt's final: the object starts over (HMAC reuses it). */
    memcpy(s->digest, sha256_iv, sizeof sha256_iv);
    s->buffLen = s->loLen = s->hiLen = 0;
#ifdef WOLFSSL_HASH_FLAGS
    s->flags = 0;
#endif
    return 0;
}

static int dev_cb(int devId, wc_CryptoInfo *info, void *ctx)
{
    (void)devId;
    (void)ctx;
    if (info->algo_type != WC_ALGO_TYPE_HASH || info->hash.type != WC_HASH_TYPE_SHA256 ||
        !info->hash.sha256)
        return CRYPTOCB_UNAVAILABLE;
    wc_Sha256 *s = info->hash.sha256;
    if (s->buffLen >= WC_SHA256_BLOCK_SIZE)
        return BUFFER_E; /* not a state wolfCrypt or this code leaves */
    if (info->hash.in && info->hash.inSz > 0)
        dev_update(s, info->hash.in, info->hash.inSz);
    if (info->hash.digest)
        return dev_final(s, info->hash.digest);
    return 0;
}

int sipc_tls_sha256_dev_register(void)
{
    /* Registering the same id again only rewrites its entry; asking
     * wolfCrypt each time also notices a table that wolfCrypt_Init wiped
     * after a wolfSSL_Cleanup. */
    if (!sipc_sha256_shani_available())
        return 0;
    return wc_CryptoCb_RegisterDevice(SIPC_SHA256_DEV, dev_cb, NULL) == 0;
}

int sipc_tls_sha256_dev_active(void)
{
    for (int i = 0;; i++) {
        int id = wc_CryptoCb_GetDevIdAtIndex(i);
        if (id == INVALID_DEVID)
            return 0;
        if (id == SIPC_SHA256_DEV)
            return 1;
    }
}

void sipc_tls_sha256_dev_unregister(void)
{
    wc_CryptoCb_UnRegisterDevice(SIPC_SHA256_DEV);
}

#else /* this wolfSSL sends SHA-256 to no device: wolfCrypt's code hashes */

int sipc_tls_sha256_dev_register(void)
{
    return 0;
}

int sipc_tls_sha256_dev_active(void)
{
    return 0;
}

void sipc_tls_sha256_dev_unregister(void)
{
}

#endif
