/* fuzz_x509.c - libFuzzer target: certificates and CRLs as a peer or an
 * operator's file presents them. The first byte picks what the rest is:
 *   1  a presented chain (DER certificates back to back), parsed and
 *      verified against the fuzz cluster's root for each purpose
 *   2  a CRL (DER or PEM): parsed, its entries listed
 *   3  a CRL followed by a chain: the CRL is installed in a trust with hard
 *      revocation, then the chain is verified against it
 *   0  PEM text: certificate blocks, a node.crt (certificates + key), a CRL
 * (the value modulo 4 counts, so the regressions found by the earlier
 * single target, whose first byte 1 meant "chain", still mean the same). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/crl_scope.h"
#include "certs/name_constraints.h"
#include "certs/pem.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "fuzz_common.h"

static void parse_and_print(const uint8_t *der, size_t len)
{
    sipc_x509 x;
    if (sipc_x509_parse(&x, der, len, NULL, 0) != 0)
        return;
    char buf[256], t[32];
    sipc_ku_str(x.ku, buf, sizeof buf);
    sipc_eku_str(x.eku, buf, sizeof buf);
    sipc_time_str(x.not_after, t);
    (void)sipc_x509_self_issued(&x);
    (void)sipc_name_within(&x.subject_der, &x.issuer_der);
    (void)sipc_name_is_empty(&x.subject_der);
    if (x.name_constraints.len) {
        /* the certificate's names against its own constraints: reaches
         * every name form and subtree kind the reader parses */
        char why[300];
        (void)sipc_nc_check(&x.name_constraints, &x, why, sizeof why);
    }
    char mwhy[160];
    (void)sipc_subject_matches(&x, "CN=sipc fuzz node, O=sipc fuzz", NULL, 0);
    (void)sipc_subject_matches(&x, "sipc fuzz node", mwhy, sizeof mwhy);
    /* its own rendering as the required subject: reaches the reader of
     * escapes with every value the certificate side can produce */
    (void)sipc_subject_matches(&x, x.subject, mwhy, sizeof mwhy);
    const sipc_keypair *root = fuzz_root_pair();
    sipc_x509 r;
    if (sipc_x509_parse(&r, root->certs[0].data, root->certs[0].len, NULL, 0) == 0)
    {
        bool valid;
        (void)sipc_x509_signed_by(&x, &r, &valid);
    }
}

static void verify_chain(const sipc_trust *t, const uint8_t *data, size_t size)
{
    sipc_der chain[SIPC_KP_MAX_CHAIN];
    int n = fuzz_split_der(data, size, chain, SIPC_KP_MAX_CHAIN);
    if (n == 0)
        return;
    for (int i = 0; i < n; i++)
        parse_and_print(chain[i].data, chain[i].len);
    static const int purposes[] = {SIPC_PURPOSE_CLIENT, SIPC_PURPOSE_SERVER, SIPC_PURPOSE_BOTH};
    for (size_t p = 0; p < sizeof purposes / sizeof purposes[0]; p++) {
        sipc_vfy_result res;
        int r = sipc_trust_verify(t, chain, n, purposes[p], FUZZ_NOW, &res);
        if (r == 0 && res.status != SIPC_VFY_OK)
            abort(); /* the verifier must never accept with a failing status */
        (void)sipc_vfy_status_name(res.status);
    }
}

static void crl(const uint8_t *data, size_t size)
{
    uint8_t *der = NULL;
    size_t dl = 0;
    int pr = sipc_pem_or_der(data, size, "X509 CRL", &der, &dl, NULL, 0);
    sipc_crl c;
    if (pr == 0 && dl > 0 && sipc_crl_parse(&c, der, dl, NULL, 0) == 0) {
        for (int i = 0; i < c.nrevoked && i < 64; i++) {
            char hex[100];
            time_t w;
            (void)sipc_crl_entry(&c, i, hex, sizeof hex, &w, NULL, 0);
        }
        sipc_bytes serial = {(const uint8_t *)"\x0a\x0b\x0c", 3};
        time_t w;
        (void)sipc_crl_lookup(&c, &serial, &w);
        /* scope and entry lookup against the fuzz node's certificate */
        const sipc_keypair *root = fuzz_root_pair();
        sipc_x509 x;
        if (sipc_x509_parse(&x, root->certs[0].data, root->certs[0].len, NULL, 0) == 0) {
            unsigned reasons;
            int reason;
            char why[300], n[80];
            (void)sipc_crl_covers(&c, &x, &reasons, why, sizeof why);
            (void)sipc_crl_find(&c, &x, &w, &reason);
            sipc_crl_num_str(&c.number, n, sizeof n);
            sipc_crl_num_str(&c.base_number, n, sizeof n);
            sipc_crl_reasons_str(c.only_reasons, why, sizeof why);
            (void)sipc_crl_same_scope(&c, &c);
        }
    }
    free(der);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    switch (sel % 4) {
    case 1: {
        sipc_trust *t = fuzz_trust(SIPC_TRUST_REV_SOFT, NULL);
        verify_chain(t, data, size);
        sipc_trust_free(t);
        break;
    }
    case 2:
        crl(data, size);
        break;
    case 3: {
        /* the CRL is the first TLV; the chain is what follows it */
        sipc_der two[2];
        size_t crl_len = fuzz_split_der(data, size, two, 2) == 2 ? two[0].len : size;
        sipc_trust *t = fuzz_trust(SIPC_TRUST_REV_HARD, "sipc fuzz node");
        char err[256];
        (void)sipc_trust_add_crl_named(t, data, crl_len, "crl/fuzz.crl", err, sizeof err);
        (void)sipc_trust_crl_count(t);
        (void)sipc_trust_knows_issuer(t, data, crl_len);
        verify_chain(t, data + crl_len, size - crl_len);
        sipc_trust_free(t);
        break;
    }
    default: {
        sipc_der certs[4];
        int n = 0;
        (void)sipc_pem_certs((const char *)data, size, certs, 4, &n, NULL, 0);
        for (int i = 0; i < n; i++) {
            parse_and_print(certs[i].data, certs[i].len);
            sipc_der_free(&certs[i]);
        }
        sipc_keypair kp;
        char err[256];
        if (sipc_keypair_from_pem(&kp, (const char *)data, size, err, sizeof err) == 0)
            sipc_keypair_free(&kp);
        size_t pos = 0;
        uint8_t *der = NULL;
        size_t dl = 0;
        while (sipc_pem_block((const char *)data, size, &pos, "PRIVATE KEY", &der, &dl, NULL, 0) ==
                   0 &&
               der) {
            free(der);
            der = NULL;
        }
        crl(data, size);
        break;
    }
    }
    return 0;
}
