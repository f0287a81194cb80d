/* pkcs12.c - a key pair from a PKCS#12 file (see pkcs12.h): the file's
 * structure is read in pkcs12_parse.c, writing is in pkcs12_write.c. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/tool/pkcs12.h"
#include "certs/tool/pkcs12_parse.h"
#include "certs/secret_file.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "base/error_text.h"
#include "sipc/errno.h"

bool sipc_pfx_have_rc2(void)
{
#if defined(WC_RC2) && !defined(NO_RC2)
    return true;
#else
    return false;
#endif
}

/* An EC private key may leave out its public key (RFC 5915 makes it
 * optional; Java's keytool writes it so), and wolfCrypt cannot encode such a
 * key for node.crt. Derives it from the private value, checks that it is the
 * leaf's public key, and replaces kp->key with a PKCS#8 key that carries it.
 * 0 (also for a key that has it, or one of another type), SIPC_ENOMEM, or
 * SIPC_EFORMAT with err naming the cause. */
static int ec_add_public(sipc_keypair *kp, char *err, size_t errlen)
{
    sipc_x509 x;
    if (sipc_x509_parse(&x, kp->certs[0].data, kp->certs[0].len, NULL, 0) != 0 ||
        x.key_type != SIPC_X509_KEY_EC)
        return 0;
    word32 idx = 0, cidx = 0, n = 0;
    if (wc_GetPkcs8TraditionalOffset((byte *)kp->key.data, &idx, (word32)kp->key.len) < 0)
        idx = 0;
    ecc_key k, c;
    if (wc_ecc_init(&k) != 0)
        return SIPC_ENOMEM;
    if (wc_ecc_init(&c) != 0) {
        wc_ecc_free(&k);
        return SIPC_ENOMEM;
    }
    int r = SIPC_EFORMAT;
    uint8_t *p8 = NULL;
    const char *why = "the private key cannot be read as an ECDSA key";
    if (wc_EccPrivateKeyDecode(kp->key.data, &idx, &k, (word32)kp->key.len) != 0)
        goto out;
    if (k.type != ECC_PRIVATEKEY_ONLY) {
        r = 0;
        goto out;
    }
    why = "cannot derive the public key from the private key";
    if (wc_ecc_make_pub(&k, NULL) != 0)
        goto out;
    why = "the public key derived from the private key is not the certificate's";
    if (wc_EccPublicKeyDecode(x.spki.p, &cidx, &c, (word32)x.spki.len) != 0 || !k.dp || !c.dp ||
        k.dp->id != c.dp->id || wc_ecc_cmp_point(&k.pubkey, &c.pubkey) != MP_EQ)
        goto out;
    why = "cannot encode the private key with its public key";
    if (wc_EccKeyToPKCS8(&k, NULL, &n) != LENGTH_ONLY_E)
        goto out;
    if (!(p8 = malloc(n))) {
        r = SIPC_ENOMEM;
        goto out;
    }
    int len = wc_EccKeyToPKCS8(&k, p8, &n);
    if (len <= 0) {
        sipc_secure_free(p8, n);
        goto out;
    }
    sipc_der_free(&kp->key);
    kp->key = (sipc_der){p8, (size_t)len};
    r = 0;
out:
    wc_ecc_free(&c);
    wc_ecc_free(&k);
    if (r == SIPC_EFORMAT)
        sipc__seterr(err, errlen, "%s", why);
    return r;
}

static bool same_der(const sipc_der *a, const sipc_der *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* One more certificate left out (x NULL: it cannot be read). */
static void note_left(sipc_pfx_left *left, const sipc_der *d, const sipc_x509 *x, bool no_room)
{
    if (!left)
        return;
    if (left->n < SIPC_PFX_LEFT_NAMED) {
        snprintf(left->cert[left->n].subject, sizeof left->cert[0].subject, "%s",
                 x ? x->subject : "");
        sipc_fingerprint(d->data, d->len, left->cert[left->n].fingerprint);
        left->cert[left->n].no_room = no_room;
        left->cert[left->n].ca = x && x->is_ca;
    }
    left->n++;
}

/* Puts into kp, after its leaf (parts->certs[leaf], taken already), the
 * leaf's issuer, its issuer, ... as found by name among all the file's
 * certificates, then, while there is room, the others that bear the name
 * of an issuer in that chain, or of theirs (another key of one of its CAs,
 * a cross-certificate and its issuer: paths a peer may build): chosen
 * before the limit is applied, so that they cannot push the real
 * intermediates out. Any other certificate issued nothing in the chain (a
 * keystore's other entry, a file given to `openssl pkcs12 -export
 * -certfile`): kept, it would be sent to every peer in every handshake for
 * nothing, and a self-signed CA among them trusted as this pair's root. So
 * they are left out and said in *left; a copy of a certificate taken is
 * dropped without a word. 0, SIPC_ENOMEM, or SIPC_ETOOBIG (the chain alone
 * is longer than SIPC_KP_MAX_CHAIN) with *chain_len its length. */
static int take_chain(sipc_keypair *kp, sipc_pfx_parts *parts, int leaf, int *chain_len,
                      sipc_pfx_left *left)
{
    int np = parts->ncerts;
    sipc_x509 *px = calloc((size_t)np, sizeof *px);
    int *order = calloc((size_t)np, sizeof *order);
    bool *ok = calloc((size_t)np, sizeof *ok), *used = calloc((size_t)np, sizeof *used);
    int ret = SIPC_ENOMEM;
    if (!px || !order || !ok || !used)
        goto out;
    for (int i = 0; i < np; i++)
        ok[i] = parts->certs[i].data &&
                sipc_x509_parse(&px[i], parts->certs[i].data, parts->certs[i].len, NULL, 0) == 0;
    /* the leaf's own entry was moved into kp: its parsed copy stays valid */
    ok[leaf] = sipc_x509_parse(&px[leaf], kp->certs[0].data, kp->certs[0].len, NULL, 0) == 0;
    used[leaf] = true;
    int n = 0, cur = leaf;
    /* each step takes an unused certificate: at most np steps */
    while (ok[cur] && !sipc_x509_self_issued(&px[cur])) {
        int next = -1;
        for (int j = 0; j < np && next < 0; j++)
            if (!used[j] && ok[j] && sipc_name_equal(&px[j].subject_der, &px[cur].issuer_der))
                next = j;
        if (next < 0)
            break;
        used[next] = true;
        order[n++] = next;
        cur = next;
    }
    if (left && ok[cur] && !sipc_x509_self_issued(&px[cur])) {
        snprintf(left->missing, sizeof left->missing, "%s", px[cur].issuer);
        snprintf(left->of, sizeof left->of, "%s", px[cur].subject);
    }
    *chain_len = n + 1;
    if (n + 1 > SIPC_KP_MAX_CHAIN) {
        ret = SIPC_ETOOBIG;
        goto out;
    }
    /* then those bearing the issuer name of a certificate taken, unless
     * that one is self-issued (a self-signed leaf has no issuer to find, a
     * root's own name adds nothing); each pass takes at least one or is the
     * last: at most np passes */
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < np; i++) {
            bool bears = false;
            for (int k = -1; k < n && !bears && !used[i] && ok[i]; k++) {
                const sipc_x509 *c = &px[k < 0 ? leaf : order[k]];
                bears = !sipc_x509_self_issued(c) &&
                        sipc_name_equal(&px[i].subject_der, &c->issuer_der);
            }
            if (!bears)
                continue;
            used[i] = more = true;
            order[n++] = i;
        }
    }
    for (int k = 0; k < n; k++) {
        sipc_der *d = &parts->certs[order[k]];
        bool copy = same_der(d, &kp->certs[0]);
        for (int j = 1; j < kp->ncerts && !copy; j++)
            copy = same_der(d, &kp->certs[j]);
        if (copy)
            continue;
        if (kp->ncerts == SIPC_KP_MAX_CHAIN) {
            note_left(left, d, &px[order[k]], true);
            continue;
        }
        kp->certs[kp->ncerts++] = *d;
        *d = (sipc_der){NULL, 0};
    }
    for (int i = 0; i < np; i++) {
        const sipc_der *d = &parts->certs[i];
        bool copy = used[i] || !d->data;
        for (int j = 0; j < kp->ncerts && !copy; j++)
            copy = same_der(d, &kp->certs[j]);
        if (!copy)
            note_left(left, d, ok[i] ? &px[i] : NULL, false);
    }
    ret = 0;
out:
    free(px);
    free(order);
    free(ok);
    free(used);
    return ret;
}

int sipc_pfx_read(const uint8_t *data, size_t len, const char *password, sipc_keypair *kp,
                  sipc_pfx_left *left, sipc_pfx_error *why, char *err, size_t errlen)
{
    return sipc__pfx_read_opt(data, len, password, false, kp, left, why, err, errlen);
}

/* The refusal of a file with parts->nkeys > 1 private keys. */
static int many_keys(const sipc_pfx_parts *parts, sipc_pfx_error *why, char *err, size_t errlen)
{
    char names[SIPC_PFX_KEYS_NAMED * (SIPC_PFX_NAME_MAX + 4) + 8] = "";
    size_t at = 0;
    for (int i = 0; i < parts->nkeys && i < SIPC_PFX_KEYS_NAMED; i++)
        at += (size_t)snprintf(names + at, sizeof names - at, "%s%s%s%s", i ? ", " : "",
                               parts->key_names[i][0] ? "'" : "",
                               parts->key_names[i][0] ? parts->key_names[i] : "(no name)",
                               parts->key_names[i][0] ? "'" : "");
    if (parts->nkeys > SIPC_PFX_KEYS_NAMED)
        snprintf(names + at, sizeof names - at, ", ...");
    sipc__seterr(err, errlen,
                 "the file holds %d private keys (friendly names, keytool's aliases: %s), and "
                 "sipc takes one key pair: which is meant cannot be told. Export that pair "
                 "alone into a file of its own, e.g. `keytool -importkeystore -srckeystore "
                 "FILE -srcstoretype PKCS12 -srcalias NAME -destkeystore PAIR.p12 "
                 "-deststoretype PKCS12` (NAME one of those above), or `openssl pkcs12 -export "
                 "-inkey KEY -in CERT -certfile CA-CHAIN -out PAIR.p12` from the pair's own "
                 "files, and give PAIR.p12",
                 parts->nkeys, names);
    return sipc__pfx_fail(why, SIPC_PFX_KEYS);
}

int sipc__pfx_read_opt(const uint8_t *data, size_t len, const char *password,
                       bool allow_unprotected, sipc_keypair *kp, sipc_pfx_left *left,
                       sipc_pfx_error *why, char *err, size_t errlen)
{
    assert(kp && password);
    memset(kp, 0, sizeof *kp);
    if (left)
        memset(left, 0, sizeof *left);
    if (why)
        *why = SIPC_PFX_OK;
    if (!data || len < 16) {
        sipc__seterr(err, errlen, "the file is empty or truncated, not a PKCS#12 file");
        return sipc__pfx_fail(why, SIPC_PFX_CORRUPT);
    }
    sipc_pfx_parts parts;
    int ret = sipc_pfx_parse(data, len, password, allow_unprotected, &parts, why, err, errlen);
    if (ret != 0)
        goto out;
    if (!parts.key.data) {
        sipc__seterr(err, errlen, "the file holds no private key (export it with its key)");
        ret = sipc__pfx_fail(why, SIPC_PFX_NOKEY);
        goto out;
    }
    if (parts.nkeys > 1) {
        ret = many_keys(&parts, why, err, errlen);
        goto out;
    }
    if (parts.ncerts == 0) {
        sipc__seterr(err, errlen, "the file holds no certificate for its key");
        ret = sipc__pfx_fail(why, SIPC_PFX_NOCERT);
        goto out;
    }
    /* the leaf is the first certificate the key belongs to */
    int leaf = -1;
    for (int i = 0; i < parts.ncerts && leaf < 0; i++) {
        sipc_keypair t;
        memset(&t, 0, sizeof t);
        t.key = parts.key;
        t.certs[0] = parts.certs[i];
        t.ncerts = 1;
        bool match = false;
        int r = sipc_keypair_matches(&t, &match, NULL, 0);
        if (r == SIPC_ENOMEM) {
            ret = r;
            goto out;
        }
        if (r == 0 && match)
            leaf = i;
    }
    if (leaf < 0) {
        sipc__seterr(err, errlen, "the private key does not belong to any certificate in the file");
        ret = sipc__pfx_fail(why, SIPC_PFX_MISMATCH);
        goto out;
    }
    kp->key = parts.key;
    parts.key = (sipc_der){NULL, 0};
    kp->certs[0] = parts.certs[leaf];
    parts.certs[leaf] = (sipc_der){NULL, 0};
    kp->ncerts = 1;
    int chain_len = 0;
    int r = take_chain(kp, &parts, leaf, &chain_len, left);
    if (r == SIPC_ETOOBIG) {
        char reason[100];
        sipc_vfy_chain_too_long_reason(chain_len, reason, sizeof reason);
        sipc__seterr(err, errlen, "%s (the leaf and the CAs above it in the file)", reason);
        ret = sipc__pfx_fail(why, SIPC_PFX_CHAIN_TOO_LONG);
        goto out;
    }
    if (r != 0) {
        ret = r;
        goto out;
    }
    r = ec_add_public(kp, err, errlen);
    if (r != 0) {
        ret = r == SIPC_ENOMEM ? r : sipc__pfx_fail(why, SIPC_PFX_NOKEY);
        goto out;
    }
    kp->key_type = sipc_key_type_of(kp->key.data, kp->key.len);
    sipc_fingerprint(kp->certs[0].data, kp->certs[0].len, kp->fingerprint);
    if (kp->key_type == SIPC_KEY_NONE) {
        /* sipc_pfx_parse keeps only ECDSA and RSA keys: not reached */
        sipc__seterr(err, errlen, "the private key in the file is of a type sipc cannot use "
                                  "(use ECDSA or RSA)");
        ret = sipc__pfx_fail(why, SIPC_PFX_NOKEY);
    }
out:
    sipc_pfx_parts_free(&parts);
    if (ret != 0) {
        sipc_keypair_free(kp);
        if (left)
            memset(left, 0, sizeof *left);
    }
    return ret;
}
