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

static int registered;

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
    /* As wolfCrypt's final: the object starts over (HMAC reuses it), with
     * the same heap and device. */
    return wc_InitSha256_ex(s, s->heap, s->devId);
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
    if (registered)
        return 1;
    if (!sipc_sha256_shani_available())
        return 0;
    if (wc_CryptoCb_RegisterDevice(SIPC_SHA256_DEV, dev_cb, NULL) != 0)
        return 0;
    registered = 1;
    return 1;
}

int sipc_tls_sha256_dev_active(void)
{
    return registered;
}

void sipc_tls_sha256_dev_unregister(void)
{
    if (registered)
        wc_CryptoCb_UnRegisterDevice(SIPC_SHA256_DEV);
    registered = 0;
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
