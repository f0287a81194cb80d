/* fuzz_aes_gcm.c - libFuzzer target: sipc's AES-GCM (base/aes_gcm.c)
 * against wolfCrypt's. The input: a control byte (key size, in place or
 * not, the 256-bit loop even where the 512-bit one would run, the 128-bit
 * loop even where a wider one would), the key (32 bytes, the first 16 for
 * AES-128), the IV (12), which bit to flip (1: the bit and which of
 * ciphertext, tag, AAD and IV), where (2, little-endian), the AAD's length
 * (2, little-endian, at most what is left), then the AAD and the message.
 * Both seal it; ciphertext and tag must be equal; sipc's open must give the
 * message back, and must refuse it (output zeroed) with the bit flipped.
 * Any difference aborts. Where the CPU lacks AES-NI, PCLMULQDQ or AVX
 * there is nothing to compare and every input passes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>

#include "base/aes_gcm.h"

#define HEADER (1 + 32 + 12 + 1 + 2 + 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sipc_aes_gcm_available() || size < HEADER)
        return 0;
    const uint8_t ctl = data[0];
    const size_t klen = (ctl & 1) ? 32 : 16;
    const int in_place = (ctl >> 1) & 1;
    const int narrow = (ctl >> 2) & 1, narrowest = (ctl >> 3) & 1;
    const uint8_t *key = data + 1, *iv = data + 33;
    const uint8_t flip = data[45];
    const size_t pos = (size_t)data[46] | (size_t)data[47] << 8;
    size_t alen = (size_t)data[48] | (size_t)data[49] << 8;
    data += HEADER;
    size -= HEADER;
    if (alen > size)
        alen = size;
    const size_t len = size - alen;
    /* the AAD in a buffer of its own length, so that ASan sees a read past
     * it; the message already ends where the input does */
    uint8_t *aad = malloc(alen ? alen : 1);
    if (!aad)
        abort();
    memcpy(aad, data, alen);
    const uint8_t *msg = data + alen;

    uint8_t *ct = malloc(len ? len : 1), *wct = malloc(len ? len : 1), *pt = malloc(len ? len : 1);
    uint8_t tag[16], wtag[16], ivc[12];
    uint8_t *aadc = malloc(alen ? alen : 1);
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
    if (narrowest)
        g.width = 128;
    else if (narrow && g.width > 256)
        g.width = 256;
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

    /* one bit flipped in one of the four inputs: refused, output zeroed
     * (in place when the control byte says so) */
    memcpy(ivc, iv, 12);
    memcpy(aadc, aad, alen);
    const uint8_t bit = (uint8_t)(1u << (flip & 7u));
    switch ((flip >> 3) & 3u) {
    case 0:
        if (len)
            ct[pos % len] ^= bit;
        else
            tag[0] ^= bit;
        break;
    case 1:
        tag[pos % 16] ^= bit;
        break;
    case 2:
        if (alen)
            aadc[pos % alen] ^= bit;
        else
            tag[15] ^= bit;
        break;
    default:
        ivc[pos % 12] ^= bit;
        break;
    }
    uint8_t *dst = pt;
    if (in_place)
        dst = ct;
    else
        memset(pt, 0xa5, len);
    if (sipc_aes_gcm_open(&g, ivc, aadc, alen, ct, len, tag, dst) == 0)
        abort();
    for (size_t i = 0; i < len; i++)
        if (dst[i] != 0)
            abort();
    free(ct);
    free(wct);
    free(pt);
    free(aadc);
    free(aad);
    return 0;
}
