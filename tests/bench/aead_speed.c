/* aead_speed.c - single-core AES-GCM encryption rate of the wolfCrypt that
 * sipc is built with (the kit's wolf_speed measures Debian's libwolfssl,
 * which has no AES-NI) and, where the CPU has AES-NI, PCLMULQDQ and AVX, of
 * sipc's own (base/aes_gcm.c, which its TLS records then use), on
 * TLS-record-sized buffers: the figure behind the TLS limit in
 * docs/benchmarks.md (four AEAD passes per echoed byte).
 *
 *   sipc-aead-speed [SECS [BYTES]]     defaults 2 s, 16384 bytes
 *
 * Prints one line per key size and implementation:
 *   AEAD aes-128-gcm impl=wolfcrypt bytes=16384 cpu_secs=2.00 MB_per_s=...
 * (MB per second of this process's CPU time). sipc's is printed for each
 * loop the CPU runs, widest (the one the records use) first: impl=sipc-vaes
 * (VAES, on 512-bit registers where the CPU has AVX-512), impl=sipc-vaes-256
 * (its 256-bit loop alone, where the CPU has AVX-512), impl=sipc-aesni (the
 * 128-bit loop on AES-NI and PCLMULQDQ, what the records use without VAES). */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/aes_gcm.h"

/* CPU time, not wall time: on a shared machine the process may get only
 * part of a core, and the rate of one core is what the limit needs. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    size_t len = argc > 2 ? (size_t)atol(argv[2]) : 16384;
    if (secs <= 0 || secs > 60 || len == 0 || len > (1u << 24)) {
        fprintf(stderr, "usage: sipc-aead-speed [SECS (0-60] [BYTES (1-16 MiB)]]\n");
        return 64;
    }
    unsigned char *buf = calloc(1, len), key[32] = {1}, iv[12] = {2}, tag[16], aad[13] = {3};
    if (!buf)
        return 1;
    static const int bits[] = {128, 256};
    for (int k = 0; k < 2; k++) {
        Aes aes;
        if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0 ||
            wc_AesGcmSetKey(&aes, key, (word32)bits[k] / 8) != 0) {
            fprintf(stderr, "AES-GCM set-up failed\n");
            return 1;
        }
        double t0 = now_s(), t;
        size_t n = 0;
        do {
            for (int i = 0; i < 64; i++, n++)
                if (wc_AesGcmEncrypt(&aes, buf, buf, (word32)len, iv, sizeof iv, tag, sizeof tag,
                                     aad, sizeof aad) != 0)
                    return 1;
            t = now_s() - t0;
        } while (t < secs);
        wc_AesFree(&aes);
        printf("AEAD aes-%d-gcm impl=wolfcrypt bytes=%zu cpu_secs=%.2f MB_per_s=%.0f\n", bits[k],
               len, t, (double)n * (double)len / t / 1e6);
        if (!sipc_aes_gcm_available())
            continue;
        sipc_aes_gcm g;
        if (sipc_aes_gcm_init(&g, key, (size_t)bits[k] / 8) != 0)
            return 1;
        const int widest = g.width;
        for (int width = widest; width >= 128; width /= 2) {
            g.width = width;
            t0 = now_s();
            n = 0;
            do {
                for (int i = 0; i < 64; i++, n++)
                    if (sipc_aes_gcm_seal(&g, iv, aad, sizeof aad, buf, len, buf, tag) != 0)
                        return 1;
                t = now_s() - t0;
            } while (t < secs);
            printf("AEAD aes-%d-gcm impl=%s bytes=%zu cpu_secs=%.2f MB_per_s=%.0f\n", bits[k],
                   width == 128 ? "sipc-aesni" : width < widest ? "sipc-vaes-256" : "sipc-vaes",
                   len, t, (double)n * (double)len / t / 1e6);
        }
    }
    free(buf);
    return 0;
}
