/* fuzz_peer_input.c - libFuzzer target for everything sipc parses from a
 * peer before trusting it: frames, envelopes, hellos, X.509 certificates (as
 * presented in a handshake), CRLs, PEM. The first input byte picks the
 * parser. Build: cmake -DSIPC_FUZZ=ON with CC=clang; run:
 *   build-fuzz/tests/fuzz/fuzz_peer_input -max_total_time=60 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "certs/pem.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "ipc/envelope.h"
#include "ipc/frame.h"

static int on_frame(void *arg, const uint8_t *data, size_t len)
{
    (void)arg;
    int err;
    char why[256];
    Sipc__Envelope *env = sipc_env_decode(data, len, &err, why, sizeof why);
    if (env) {
        if (env->kind == SIPC__KIND__HELLO) {
            Sipc__Hello *h = sipc__hello__unpack(NULL, env->payload.len, env->payload.data);
            if (h)
                sipc__hello__free_unpacked(h, NULL);
        }
        sipc__envelope__free_unpacked(env, NULL);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    switch (sel % 4) {
    case 0: { /* a byte stream of frames, split where the second byte says */
        sipc_frame_decoder d;
        sipc_frame_decoder_init(&d, 1 << 20);
        size_t cut = size ? data[0] % (size + 1) : 0;
        if (sipc_frame_decode(&d, data, cut, on_frame, NULL) == 0)
            (void)sipc_frame_decode(&d, data + cut, size - cut, on_frame, NULL);
        sipc_frame_decoder_free(&d);
        break;
    }
    case 1: { /* a presented chain: one certificate, verified against a trust */
        sipc_x509 x;
        (void)sipc_x509_parse(&x, data, size, NULL, 0);
        sipc_trust_policy pol = {.subject = "CN=fuzz", .revocation = SIPC_TRUST_REV_HARD};
        sipc_trust *t;
        if (sipc_trust_new(&t, &pol) == 0) {
            sipc_der chain[2] = {{(uint8_t *)data, size / 2}, {(uint8_t *)data + size / 2, size - size / 2}};
            sipc_vfy_result res;
            (void)sipc_trust_verify(t, chain, size > 1 ? 2 : 1, SIPC_PURPOSE_BOTH, 1800000000, &res);
            sipc_trust_free(t);
        }
        break;
    }
    case 2: { /* a CRL */
        sipc_crl c;
        if (sipc_crl_parse(&c, data, size, NULL, 0) == 0)
            for (int i = 0; i < c.nrevoked && i < 64; i++) {
                char hex[100];
                time_t w;
                (void)sipc_crl_entry(&c, i, hex, sizeof hex, &w, NULL, 0);
            }
        break;
    }
    default: { /* PEM */
        sipc_der certs[4];
        int n = 0;
        if (sipc_pem_certs((const char *)data, size, certs, 4, &n, NULL, 0) == 0)
            for (int i = 0; i < n; i++)
                sipc_der_free(&certs[i]);
        uint8_t *der;
        size_t dl;
        if (sipc_pem_or_der(data, size, "X509 CRL", &der, &dl, NULL, 0) == 0)
            free(der);
        break;
    }
    }
    return 0;
}
