/* fuzz_sha256.c - libFuzzer target: SHA-256 on the CPU's SHA extensions
 * (base/sha256_shani.c through transport/tls_sha256_dev.c) against
 * wolfCrypt's own code, on the same input split into the same updates, as a
 * plain hash (with a copy and a reuse after the final) and as HMAC-SHA-256
 * keyed by the input's start. Any difference aborts. Where the CPU has no
 * SHA extensions there is nothing to compare and every input passes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "transport/tls_sha256_dev.h"

/* The input's first byte seeds the split; the rest is the message. */
static void digests(const uint8_t *data, size_t size, uint8_t out[4][32])
{
    unsigned seed = size ? data[0] : 0;
    wc_Sha256 s, c;
    if (wc_InitSha256(&s) != 0)
        abort();
    for (size_t off = 0; off < size;) {
        size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 131u;
        if (n > size - off)
            n = size - off;
        if (wc_Sha256Update(&s, data + off, (word32)n) != 0)
            abort();
        off += n;
    }
    if (wc_Sha256Copy(&s, &c) != 0 || wc_Sha256Final(&s, out[0]) != 0 ||
        wc_Sha256Update(&c, data, (word32)(size / 3)) != 0 || wc_Sha256Final(&c, out[1]) != 0 ||
        wc_Sha256Update(&s, data, (word32)size) != 0 || wc_Sha256Final(&s, out[2]) != 0)
        abort();
    wc_Sha256Free(&s);
    wc_Sha256Free(&c);

    Hmac h;
    size_t klen = size < 200 ? size / 2 : 100; /* keys longer than a block get hashed */
    static const uint8_t zero = 0;
    if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0 ||
        wc_HmacSetKey(&h, WC_SHA256, klen ? data : &zero, (word32)(klen ? klen : 1)) != 0 ||
        wc_HmacUpdate(&h, data + klen, (word32)(size - klen)) != 0 || wc_HmacFinal(&h, out[3]) != 0)
        abort();
    wc_HmacFree(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (wolfSSL_Init() != WOLFSSL_SUCCESS)
            abort();
        (void)sipc_tls_sha256_dev_register();
        ready = 1;
    }
    if (!sipc_tls_sha256_dev_active())
        return 0;
    uint8_t dev[4][32], soft[4][32];
    digests(data, size, dev);
    sipc_tls_sha256_dev_unregister();
    digests(data, size, soft);
    if (sipc_tls_sha256_dev_register() != 1)
        abort();
    if (memcmp(dev, soft, sizeof dev) != 0)
        abort();
    return 0;
}
