/* fuzz_aes_gcm.c - libFuzzer target: AES-GCM on VAES and VPCLMULQDQ
 * (base/aes_gcm_vaes.c) against wolfCrypt's. The input's first byte picks
 * the key size, the length of the AAD and where in place or not; then come
 * the key, the IV, the AAD and the message. Both seal it; ciphertext and tag
 * must be equal; sipc's open must give the message back, and must refuse it
 * (output zeroed) with one bit of ciphertext, tag, AAD or IV flipped where
 * the input says. Any difference aborts. Where the CPU lacks the
 * instructions there is nothing to compare and every input passes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>

#include "base/aes_gcm_vaes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sipc_aes_gcm_vaes_available() || size < 1 + 32 + 12 + 1)
        return 0;
    const uint8_t ctl = data[0];
    const size_t klen = (ctl & 1) ? 32 : 16;
    const int in_place = (ctl >> 1) & 1;
    const uint8_t *key = data + 1, *iv = data + 33;
    const uint8_t flip = data[45]; /* which bit to flip, and where */
    data += 46;
    size -= 46;
    size_t alen = (size_t)(ctl >> 2) * 5; /* 0..315 bytes of AAD */
    if (alen > size)
        alen = size;
    const uint8_t *aad = data, *msg = data + alen;
    const size_t len = size - alen;

    uint8_t *ct = malloc(len + 1), *wct = malloc(len + 1), *pt = malloc(len + 1);
    uint8_t tag[16], wtag[16], ivc[12];
    uint8_t *aadc = malloc(alen + 1);
    if (!ct || !wct || !pt || !aadc)
        abort();

    /* wolfCrypt's AVX2 code reads 16 bytes of the 12-byte IV (and ASan
     * does not see into it): it gets a copy with room behind it, as
     * transport/tls_record.c's IV on the stack has. */
    uint8_t wiv[16] = {0};
    memcpy(wiv, iv, 12);
    Aes aes;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0 || wc_AesGcmSetKey(&aes, key, (word32)klen) != 0 ||
        wc_AesGcmEncrypt(&aes, wct, len ? msg : (const uint8_t *)"", (word32)len, wiv, 12, wtag, 16,
                         alen ? aad : NULL, (word32)alen) != 0)
        abort();
    wc_AesFree(&aes);

    sipc_aes_gcm g;
    if (sipc_aes_gcm_init(&g, key, klen) != 0)
        abort();
    if (in_place) {
        memcpy(ct, msg, len);
        if (sipc_aes_gcm_seal(&g, iv, aad, alen, ct, len, ct, tag) != 0)
            abort();
    } else if (sipc_aes_gcm_seal(&g, iv, aad, alen, msg, len, ct, tag) != 0) {
        abort();
    }
    if (memcmp(ct, wct, len) != 0 || memcmp(tag, wtag, 16) != 0)
        abort();
    if (sipc_aes_gcm_open(&g, iv, aad, alen, ct, len, tag, pt) != 0 || memcmp(pt, msg, len) != 0)
        abort();

    /* one bit flipped in one of the four inputs: refused, output zeroed */
    memcpy(ivc, iv, 12);
    memcpy(aadc, aad, alen);
    const unsigned bit = flip & 7u;
    switch ((flip >> 3) & 3u) {
    case 0:
        if (len)
            ct[(flip >> 5) % len] ^= (uint8_t)(1u << bit);
        else
            tag[0] ^= 1;
        break;
    case 1:
        tag[(flip >> 5) % 16] ^= (uint8_t)(1u << bit);
        break;
    case 2:
        if (alen)
            aadc[(flip >> 5) % alen] ^= (uint8_t)(1u << bit);
        else
            tag[15] ^= 0x80;
        break;
    default:
        ivc[(flip >> 5) % 12] ^= (uint8_t)(1u << bit);
        break;
    }
    memset(pt, 0xa5, len);
    if (sipc_aes_gcm_open(&g, ivc, aadc, alen, ct, len, tag, pt) == 0)
        abort();
    for (size_t i = 0; i < len; i++)
        if (pt[i] != 0)
            abort();
    free(ct);
    free(wct);
    free(pt);
    free(aadc);
    return 0;
}
