/* fuzz_common.c - see fuzz_common.h. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fuzz cluster: a self-signed P-256 root (the pair every fuzz target
 * trusts and the TLS engine presents), generated once with openssl for
 * these tests, valid until 2126. tests/fuzz/corpus/ holds an intermediate and
 * leaf it issued and CRLs it signed. */
static const char fuzz_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBwDCCAWagAwIBAgIUKdbJZ1bDeZ5cQRt7gP1mQxOLjzkwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRc2lwYyBmdXp6IGNsdXN0ZXIwIBcNMjYxMjAyMDc0MzQ2WhgP\n"
    "MjEyNjExMDgwNzQzNDZaMBwxGjAYBgNVBAMMEXNpcGMgZnV6eiBjbHVzdGVyMFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqSEMdbPnoD0+8GBtOkZgE8XxVWL38Mt4\n"
    "zmmBT7C3+5oPlrYeUpXRHlMwRDfBezLGtc08FgV7Ysf6zhhxv7il5KOBgzCBgDAd\n"
    "BgNVHQ4EFgQUj8QbCTSyPn5OYQgpIekm1xnqwScwHwYDVR0jBBgwFoAUj8QbCTSy\n"
    "Pn5OYQgpIekm1xnqwScwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAYYw\n"
    "HQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCMAoGCCqGSM49BAMCA0gAMEUC\n"
    "IQCQsG1gMn6IUFmstES2MpQ50nxlWJ1Svospu1MQX7HAqQIgIn1kqChKZ2PZptus\n"
    "FqBLhXxzsP98M6Bgxt5l5H+bnkU=\n"
    "-----END CERTIFICATE-----\n"
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEINRrpP/DpKUjBZ3gveGEgsbLP5mJWPR57+zkpDm5yjVjoAoGCCqGSM49\n"
    "AwEHoUQDQgAEqSEMdbPnoD0+8GBtOkZgE8XxVWL38Mt4zmmBT7C3+5oPlrYeUpXR\n"
    "HlMwRDfBezLGtc08FgV7Ysf6zhhxv7il5A==\n"
    "-----END EC PRIVATE KEY-----\n"
    ;

const sipc_keypair *fuzz_root_pair(void)
{
    static sipc_keypair kp;
    static int loaded;
    if (!loaded) {
        char err[256];
        if (sipc_keypair_from_pem(&kp, fuzz_root_pem, strlen(fuzz_root_pem), err, sizeof err) != 0) {
            fprintf(stderr, "fuzz: the fuzz cluster's pair does not load: %s\n", err);
            abort();
        }
        loaded = 1;
    }
    return &kp;
}

sipc_trust *fuzz_trust(sipc_trust_revocation rev, const char *subject)
{
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = rev;
    if (subject)
        snprintf(pol.subject, sizeof pol.subject, "%s", subject);
    sipc_trust *t;
    if (sipc_trust_new(&t, &pol) != 0 || sipc_trust_set_own(t, fuzz_root_pair(), NULL, 0) != 0) {
        fprintf(stderr, "fuzz: cannot make a trust for the fuzz cluster\n");
        abort();
    }
    return t;
}

int fuzz_split_der(const uint8_t *data, size_t size, sipc_der *out, int max)
{
    int n = 0;
    while (size > 0 && n < max) {
        size_t len = size; /* default: the rest */
        if (size >= 2 && n < max - 1) {
            size_t hdr = 2, body = data[1];
            if (body & 0x80) {
                size_t nb = body & 0x7f;
                body = 0;
                if (nb >= 1 && nb <= 4 && size >= 2 + nb) {
                    for (size_t i = 0; i < nb; i++)
                        body = body << 8 | data[2 + i];
                    hdr += nb;
                } else {
                    body = size;
                }
            }
            if (body <= size - hdr)
                len = hdr + body;
        }
        out[n].data = (uint8_t *)data;
        out[n].len = len;
        n++;
        data += len;
        size -= len;
    }
    return n;
}
