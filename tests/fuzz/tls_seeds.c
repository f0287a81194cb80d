/* tls_seeds.c - writes fuzz_tls's seed corpus (tests/fuzz/corpus/tls/) from
 * a real client engine talking to a real server engine of the fuzz cluster:
 * the ClientHello (also with RSA signature algorithms only, which the server
 * refuses), the client's second flight, and operation lists for the phase
 * after the handshake. Run again when the engine's handshake changes:
 *   build/tests/fuzz/tls_seeds tests/fuzz/corpus/tls */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "fuzz_common.h"
#include "transport/tls_engine.h"

static int accept_all(void *arg, const sipc_tls_der *chain, int n, int peer_is_client,
                      int64_t *until, int *alert, char *why, size_t whylen)
{
    return 0; /* the seeds are about the bytes, not about who may connect */
}

static int ignore(void *arg, const uint8_t *data, size_t len)
{
    return 0;
}

static void put(const char *dir, const char *name, uint8_t phase, uint8_t chunk, const void *data,
                size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fputc(phase, fp) == EOF || fputc(chunk, fp) == EOF ||
        fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        perror(path);
        exit(1);
    }
}

/* The signature algorithms of a ClientHello record (p, n): where the list
 * starts, its length in *len; 0 if there is none. */
static size_t sigalgs_at(const uint8_t *p, size_t n, size_t *len)
{
    size_t i = 5 + 4 + 2 + 32; /* record and handshake headers, version, random */
    if (i >= n)
        return 0;
    i += 1 + p[i]; /* session id */
    if (i + 2 > n)
        return 0;
    i += 2 + ((size_t)p[i] << 8 | p[i + 1]); /* cipher suites */
    if (i + 1 > n)
        return 0;
    i += 1 + p[i]; /* compression methods */
    if (i + 2 > n)
        return 0;
    size_t stop = i + 2 + ((size_t)p[i] << 8 | p[i + 1]);
    for (i += 2; i + 4 <= stop && i + 4 <= n; i += 4 + ((size_t)p[i + 2] << 8 | p[i + 3])) {
        size_t body = (size_t)p[i + 2] << 8 | p[i + 3];
        if (p[i] == 0 && p[i + 1] == 13 && body >= 2 && i + 4 + body <= n) {
            *len = body - 2;
            return i + 6;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tls_seeds DIR\n");
        return 2;
    }
    const sipc_keypair *kp = fuzz_root_pair();
    sipc_tls_der chain = {kp->certs[0].data, kp->certs[0].len};
    sipc_tls_params p = {.chain = &chain, .nchain = 1, .key = {kp->key.data, kp->key.len},
                         .anchors = &chain, .nanchors = 1, .verify = accept_all};
    char err[256];
    sipc_tls_config *cfg;
    sipc_buf ctx = {0}, stx = {0};
    sipc_tls *cli, *srv;
    if (sipc_tls_config_new(&cfg, &p, err, sizeof err) != 0 || sipc_tls_new(&cli, cfg, 0, &ctx) != 0 ||
        sipc_tls_new(&srv, cfg, 1, &stx) != 0 || sipc_tls_start(cli) != 0) {
        fprintf(stderr, "tls_seeds: cannot start a client: %s\n", err);
        return 1;
    }
    put(argv[1], "client-hello", 0, 0xff, ctx.data, ctx.len);
    put(argv[1], "client-hello-small-reads", 0, 0, ctx.data, ctx.len);
    /* the same offering only rsa_pkcs1_sha256, which an ECDSA key cannot make */
    uint8_t *rsa_only = malloc(ctx.len);
    size_t list_len, at = rsa_only ? sigalgs_at(ctx.data, ctx.len, &list_len) : 0;
    if (!at) {
        fprintf(stderr, "tls_seeds: no signature algorithms in the ClientHello\n");
        return 1;
    }
    memcpy(rsa_only, ctx.data, ctx.len);
    for (size_t i = 0; i + 1 < list_len; i += 2) {
        rsa_only[at + i] = 0x04;
        rsa_only[at + i + 1] = 0x01;
    }
    put(argv[1], "client-hello-rsa-sigalgs", 0, 0xff, rsa_only, ctx.len);
    free(rsa_only);
    if (sipc_tls_input(srv, ctx.data, ctx.len, ignore, NULL) != 0)
        return 1;
    ctx.len = 0;
    if (sipc_tls_input(cli, stx.data, stx.len, ignore, NULL) != 0)
        return 1;
    put(argv[1], "client-second-flight", 1, 0xff, ctx.data, ctx.len);
    put(argv[1], "client-second-flight-small-reads", 1, 1, ctx.data, ctx.len);

    /* after the handshake: op, length, bytes */
    static const uint8_t data_both_ways[] = {0, 5, 'h', 'e', 'l', 'l', 'o', 3, 5, 'w', 'o', 'r', 'l', 'd',
                                             0, 4, 0, 0, 0, 0};
    static const uint8_t damaged_body[] = {0, 3, 'a', 'b', 'c', 1 | 8 << 2, 4, 'd', 'a', 't', 'a'};
    static const uint8_t injected_alert[] = {0, 2, 'o', 'k', 2, 7, 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
    put(argv[1], "data-both-ways", 2, 0xff, data_both_ways, sizeof data_both_ways);
    put(argv[1], "damaged-body", 2, 0xff, damaged_body, sizeof damaged_body);
    /* the decrypt window (fuzz_tls.c's head comment: phase 2 + 3 x window),
     * with records of 64, 200 and 255 bytes */
    static uint8_t window_data[2 + 64 + 2 + 200 + 2 + 255];
    uint8_t *w = window_data;
    static const uint8_t sizes[] = {64, 200, 255}, ops[] = {0, 3, 0};
    for (int i = 0; i < 3; i++) {
        *w++ = ops[i];
        *w++ = sizes[i];
        for (int j = 0; j < sizes[i]; j++)
            *w++ = (uint8_t)('a' + (i + j) % 26);
    }
    static const uint8_t damaged_long[] = {0, 3, 'a', 'b', 'c', 1 | 8 << 2, 12, 'p', 'l', 'a', 'i', 'n',
                                           't', 'e', 'x', 't', '-', '1', '2'};
    put(argv[1], "window-exact", 2 + 3 * 20, 0xff, window_data, (size_t)(w - window_data));
    put(argv[1], "window-short", 2 + 3 * 5, 0xff, window_data, (size_t)(w - window_data));
    put(argv[1], "window-large", 2 + 3 * 41, 0x01, window_data, (size_t)(w - window_data));
    put(argv[1], "window-damaged", 2 + 3 * 20, 0xff, damaged_long, sizeof damaged_long);
    put(argv[1], "wolfssl-window-exact", 2 + 3 * (42 + 20), 0xff, window_data,
        (size_t)(w - window_data));
    put(argv[1], "wolfssl-window-short", 2 + 3 * (42 + 5), 0x00, window_data,
        (size_t)(w - window_data));
    put(argv[1], "wolfssl-damaged", 2 + 3 * 42, 0xff, damaged_long, sizeof damaged_long);
    put(argv[1], "injected-alert", 2, 0xff, injected_alert, sizeof injected_alert);
    sipc_tls_free(cli);
    sipc_tls_free(srv);
    sipc_tls_config_free(cfg);
    sipc_buf_free(&ctx);
    sipc_buf_free(&stx);
    return 0;
}
