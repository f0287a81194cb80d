/* aes_gcm_self_test.c - which of base/aes_gcm.c's loops a process uses: the
 * CPU's widest, once it has given the same result as the 128-bit loop (see
 * aes_gcm.h).
 *
 * A GCM bug in counter or lane handling is often symmetric: both ends of a
 * connection compute the same wrong keystream and tag, so sipc talks to
 * sipc and only a comparison with another implementation shows it. The
 * known-answer tests make that comparison through every loop a CPU runs,
 * but the 256- and 512-bit loops run only where a CPU has VAES and
 * VPCLMULQDQ (and AVX-512): no CI machine here, nor qemu's emulation. So
 * before a process first uses them, one message is sealed and opened
 * through each and compared with the 128-bit loop's result, itself checked
 * against known tags. */
#include "base/aes_gcm.h"

#include <stdatomic.h>
#include <string.h>

#include "sipc/errno.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

/* 2 * 512 + 256 + 77 bytes take every part of every loop: two 512-byte
 * turns, a 256-byte turn, four whole blocks and a partial one (ten
 * 128-byte turns on 128-bit registers); the AAD takes a block and a part. */
#define ST_LEN 1357
#define ST_AAD 20

/* Their tags under the AES-128 and the AES-256 key (the first 16 and all 32
 * bytes of key below), from wolfCrypt and from OpenSSL (Python's
 * cryptography) alike. */
static const uint8_t st_tag[2][16] = {
    {0xdf, 0x97, 0x7e, 0x5f, 0x8d, 0x27, 0x49, 0xee, 0x9a, 0x6a, 0x57, 0xbb, 0xe0, 0x1a, 0xf2, 0x8b},
    {0x7f, 0x44, 0x6b, 0xce, 0x9e, 0x33, 0x85, 0xb8, 0xe0, 0x40, 0x0f, 0x98, 0xfc, 0x0a, 0x52, 0x09},
};

_Atomic int sipc__aes_gcm_chosen;
/* the width whose self-test failed, 0 for none */
static atomic_int failed_width;

/* 0 when every width from 256 to widest agrees with the 128-bit loop and
 * that with the known tags, else SIPC_EFORMAT. The data is fixed and
 * public: plain comparisons. A width this CPU lacks (tests pretend one)
 * cannot run: the 128-bit loop stands in for it. flip changes a bit of
 * what the wider widths sealed. */
static int self_test_widths(int widest, int flip)
{
    uint8_t key[32], iv[12], aad[ST_AAD], msg[ST_LEN], ref[ST_LEN], out[ST_LEN], tag[16], t[16];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(0x40 + 3 * i);
    for (size_t i = 0; i < sizeof iv; i++)
        iv[i] = (uint8_t)(0xa0 + i);
    for (size_t i = 0; i < sizeof aad; i++)
        aad[i] = (uint8_t)(0x70 + 5 * i);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    const int hw = sipc__aes_gcm_hw_width();
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        sipc_aes_gcm g;
        sipc__aes_gcm_key_setup(&g, key, k ? 32 : 16);
        sipc__aes_gcm_at(&g, iv, aad, ST_AAD, msg, ST_LEN, ref, 0, 128, tag);
        bad |= memcmp(tag, st_tag[k], 16) != 0;
        for (int w = 256; w <= widest; w *= 2) {
            const int run = w <= hw ? w : 128;
            sipc__aes_gcm_at(&g, iv, aad, ST_AAD, msg, ST_LEN, out, 0, run, t);
            out[ST_LEN / 2] ^= (uint8_t)(flip != 0);
            bad |= memcmp(t, tag, 16) != 0 || memcmp(out, ref, ST_LEN) != 0;
            sipc__aes_gcm_at(&g, iv, aad, ST_AAD, ref, ST_LEN, out, 1, run, t);
            bad |= memcmp(t, tag, 16) != 0 || memcmp(out, msg, ST_LEN) != 0;
        }
    }
    return bad ? SIPC_EFORMAT : 0;
}

/* That width when it passes the self-test, 128 when it does not; racing
 * first calls each test and agree. */
int sipc__aes_gcm_choose(int pretend, int flip)
{
    const int hw = sipc__aes_gcm_hw_width();
    int w = pretend ? pretend : hw;
    const int bad = w > 128 && self_test_widths(w, flip) != 0;
    atomic_store_explicit(&failed_width, bad ? w : 0, memory_order_relaxed);
    w = bad ? 128 : w < hw ? w : hw;
    atomic_store_explicit(&sipc__aes_gcm_chosen, w, memory_order_relaxed);
    return w;
}

int sipc__aes_gcm_test_choose(int pretend, int flip)
{
    return sipc__aes_gcm_choose(pretend, flip);
}

int sipc_aes_gcm_self_test(int width)
{
    const int hw = sipc__aes_gcm_hw_width();
    return self_test_widths(width < hw ? width : hw, 0);
}

int sipc_aes_gcm_width(void)
{
    if (!sipc_aes_gcm_available())
        return 0;
    const int w = atomic_load_explicit(&sipc__aes_gcm_chosen, memory_order_relaxed);
    return w ? w : sipc__aes_gcm_choose(0, 0);
}

int sipc_aes_gcm_wide_failed(void)
{
    (void)sipc_aes_gcm_width();
    return atomic_load_explicit(&failed_width, memory_order_relaxed);
}

#else /* not x86-64 with GCC or clang: no loop at all */

#include <stdlib.h>

int sipc_aes_gcm_width(void)
{
    return 0;
}

int sipc_aes_gcm_wide_failed(void)
{
    return 0;
}

/* never called: available() said no */
int sipc_aes_gcm_self_test(int width)
{
    (void)width;
    abort();
}

int sipc__aes_gcm_test_choose(int pretend, int flip)
{
    (void)pretend, (void)flip;
    abort();
}

#endif
