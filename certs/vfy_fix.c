/* vfy_fix.c - the words of the verifier's fixes that depend on what the
 * chain judged is (sipc_vfy_for): a peer presenting it, a file checked, a
 * file staged for a rotation. One place writes them for every reader, from
 * the kind the verifier recorded and the chain's links (built before any
 * fix is worded: the names a fix gives are the links'), never from the
 * words it wrote. */
#include <stdio.h>

#include "base/str_copy.h"
#include "certs/trust_impl.h"

/* The fix of an issuer missing from the file: a format whose first %s
 * names the file, the second what to do with it once it holds its chain. */
#define MISSING_ISSUER                                                                            \
    "put the intermediate certificates into %s (leaf, intermediates, root) and %s; if the "       \
    "missing one is your organisation's root, add it with `tlstool trust add`"

/* Who needs a new certificate, told to the node that refused it: only the
 * peer presenting it when it is that peer's own leaf (this node's is
 * another, and replacing it would not help); this node and every node that
 * shares it when it is this node's own; every node whose chain holds it
 * when it is a CA's, or when it is not known whose it is. */
static const char *revoked_words(sipc_vfy_fix_kind kind)
{
    switch (kind) {
    case SIPC_VFY_FIX_REVOKED_PEERS:
        return "import a new, unrevoked key pair on the node that presents this certificate, "
               "only there: it is that node's own, this node's certificate is another; remove "
               "the revoked one";
    case SIPC_VFY_FIX_REVOKED_OWN:
        return "import a new, unrevoked key pair here and on every node that shares this node's "
               "certificate; remove the revoked one";
    default:
        return "import a new, unrevoked key pair on every node that presents this certificate "
               "or a chain holding it; remove the revoked one";
    }
}

/* The CA of the chain that is revoked, or NULL when it is the leaf. */
static const char *revoked_ca(const sipc_vfy_result *res)
{
    return res->depth > 0 && res->depth < res->nlinks ? res->links[res->depth].subject : NULL;
}

/* The leaf's issuer: the CA to obtain a new certificate from. */
static const char *leaf_issuer(const sipc_vfy_result *res)
{
    return sipc__name_or(res->nlinks > 0 ? res->links[0].issuer : "");
}

/* A file checked is no node's pair yet: it is not to be imported, and its
 * certificate (or the CA of its chain) is what is to be replaced. */
static void revoked_file(const sipc_vfy_result *res, const char *file, char *out, size_t len)
{
    const char *ca = revoked_ca(res);
    if (ca)
        snprintf(out, len,
                 "do not import %s: the CA '%s' of its chain is revoked; obtain a certificate "
                 "under a CA that is not revoked and verify that file (a node that presents a "
                 "chain holding the revoked CA needs a new pair as well)",
                 file, ca);
    else
        snprintf(out, len,
                 "do not import %s: its certificate is revoked; obtain a new one from its CA "
                 "('%s') and verify that file (a node that presents this certificate needs a "
                 "new pair as well)",
                 file, leaf_issuer(res));
}

/* A staged pair is replaced by staging another, never by an import (a
 * rotation under way refuses it). A defect of the pair's own, revoked or
 * expired, is never committed, even with --force (cmd_rotate.c): no roll
 * back to name. */
static void revoked_staged(const sipc_vfy_result *res, char *out, size_t len)
{
    const char *ca = revoked_ca(res);
    if (ca)
        snprintf(out, len,
                 "the CA '%s' of its chain is revoked: obtain a key pair under a CA that is not "
                 "revoked to stage in its place",
                 ca);
    else
        snprintf(out, len,
                 "its certificate is revoked: obtain a new key pair from its CA ('%s') to stage "
                 "in its place",
                 leaf_issuer(res));
}

/* As for a revoked pair: what to obtain is what to stage in its place (a
 * renewed CA certificate: the pair staged again with it). */
static void expired_staged(const sipc_vfy_result *res, const char *file, char *out, size_t len)
{
    char stage[400];
    snprintf(stage, sizeof stage, SIPC__STAGE_AGAIN, file);
    if (res->fix_kind == SIPC_VFY_FIX_EXPIRED_CA)
        snprintf(out, len,
                 SIPC__CLOCK_FIRST "renew the expired CA certificate with your CA, put it into "
                                   "the file (or add it with `tlstool trust add`) and %s",
                 stage);
    else if (res->fix_kind == SIPC_VFY_FIX_EXPIRED_PAIR)
        snprintf(out, len,
                 SIPC__CLOCK_FIRST "create or obtain a new pair (tlstool create) to stage in "
                                   "its place");
    else
        snprintf(out, len,
                 SIPC__CLOCK_FIRST "obtain a renewed certificate from its CA ('%s') to stage in "
                                   "its place",
                 leaf_issuer(res));
}

/* A file checked was imported nowhere: it is exported again with its
 * chain and checked again, not imported again. */
static void missing_issuer(sipc_vfy_for as, const char *file, char *out, size_t len)
{
    char again[600];
    const char *into = "the PKCS#12 file";
    if (as == SIPC_VFY_FOR_STAGE || as == SIPC_VFY_FOR_COMMITTED) {
        char stage[400];
        snprintf(stage, sizeof stage, SIPC__STAGE_AGAIN, file);
        snprintf(again, sizeof again, "%s%s%s",
                 as == SIPC_VFY_FOR_COMMITTED
                     ? "roll back to the previous pair (`tlstool rotate abort`), "
                     : "",
                 stage, as == SIPC_VFY_FOR_COMMITTED ? " and commit it" : "");
    } else if (as == SIPC_VFY_FOR_FILE) {
        into = file;
        snprintf(again, sizeof again,
                 "verify it again (a PKCS#12 file is exported again with them: `openssl pkcs12 "
                 "-export -inkey KEY -in CERT -certfile CHAIN.pem`, CHAIN.pem the intermediates "
                 "and root)");
    } else {
        snprintf(again, sizeof again, "import it again");
    }
    snprintf(out, len, MISSING_ISSUER, into, again);
}

/* An expired certificate for a peer presenting it or a file checked. A
 * certificate a CA issued is renewed by that CA: `tlstool create` would
 * make a self-signed pair, another cluster's kind of pair. The node still
 * presents the expired one until it reloads, and sipcctl (which checks the
 * node's certificate) cannot reach it: the reload is the node's own
 * (SIGHUP) or a restart. The clock first: a machine whose clock jumped
 * ahead reads every certificate as expired, and a new pair made there
 * would be "not valid before" on every other machine. */
static void expired_words(const sipc_vfy_result *res, char *out, size_t len)
{
    if (res->fix_kind == SIPC_VFY_FIX_EXPIRED_CA)
        snprintf(out, len, SIPC__CLOCK_FIRST "renew the expired CA certificate with your CA, then "
                                             "re-import or re-add it");
    else if (res->fix_kind == SIPC_VFY_FIX_EXPIRED_PAIR)
        snprintf(out, len, SIPC__CLOCK_FIRST "create or obtain a new pair, import it on every node "
                                             "and reload or restart each (tlstool create, tlstool "
                                             "import)");
    else
        snprintf(out, len,
                 SIPC__CLOCK_FIRST "obtain a renewed certificate from its CA ('%s'), `tlstool "
                                   "import` it and reload, node by node (`systemctl reload "
                                   "sipcd` or a restart: `sipcctl reload` cannot reach a node "
                                   "that presents the expired one)",
                 leaf_issuer(res));
}

/* A program's own PEM pair is imported nowhere and tlstool has no part in
 * it: it is made again (or reissued) with the files' own tools and given to
 * each program that uses it; and such a program trusts nothing but that
 * pair and its chain (no trust/ to add a root to). 0 when the fix does not
 * depend on that. */
static int pem_words(const sipc_vfy_result *res, char *out, size_t len)
{
    static const char give[] = "and give it to every program that uses this pair";
    static const char make[] = "as docs/quickstart.md section 3 makes one: `openssl req -x509 "
                               "-newkey ec -pkeyopt ec_paramgen_curve:P-256 ...`";
    if (res->status == SIPC_VFY_EXPIRED && res->fix_kind == SIPC_VFY_FIX_EXPIRED_PAIR)
        snprintf(out, len, SIPC__CLOCK_FIRST "make a new pair (%s) %s", make, give);
    else if (res->status == SIPC_VFY_EXPIRED && res->fix_kind == SIPC_VFY_FIX_EXPIRED_ISSUED)
        snprintf(out, len, SIPC__CLOCK_FIRST "obtain a renewed certificate from its CA ('%s') %s",
                 leaf_issuer(res), give);
    else if (res->status == SIPC_VFY_WEAK_KEY && res->depth == 0)
        snprintf(out, len,
                 "make a new pair with an ECDSA P-256/P-384 or RSA 2048+ key (%s), or have the "
                 "certificate reissued with one, %s",
                 make, give);
    else if (res->status == SIPC_VFY_NOT_PINNED)
        snprintf(out, len,
                 "both ends need the same key pair: give this program and its peer the same "
                 "certificate and key files (docs/quickstart.md section 3)");
    else if (res->status == SIPC_VFY_UNTRUSTED_ROOT)
        snprintf(out, len,
                 "a program trusts only its own pair and the root its own certificate file "
                 "carries: give the peer this program's pair, or a certificate issued under "
                 "that root");
    else if (res->fix_kind == SIPC_VFY_FIX_MISSING_ISSUER)
        snprintf(out, len,
                 "put the intermediate certificates into the certificate file that lacks them "
                 "(leaf, intermediates, root) %s",
                 give);
    else if (res->status == SIPC_VFY_WRONG_USAGE)
        snprintf(out, len,
                 "each end is both TLS client and server: make the pair again with key usage "
                 "digitalSignature and extended key usage serverAuth and clientAuth (%s), or have "
                 "it reissued so, %s",
                 make, give);
    else
        return 0;
    return 1;
}

void sipc__vfix(sipc_vfy_result *res, sipc_vfy_fix_kind kind)
{
    res->fix_kind = kind;
    sipc_vfy_fix_for(res, SIPC_VFY_FOR_PEER, NULL);
}

void sipc_vfy_fix_for(sipc_vfy_result *res, sipc_vfy_for as, const char *file)
{
    char fix[sizeof res->fix + 600]; /* cut to fit, between characters */
    if (!file)
        file = "FILE";
    if (as == SIPC_VFY_FOR_PEM) {
        if (pem_words(res, fix, sizeof fix))
            sipc_str_copy_utf8(res->fix, sizeof res->fix, fix);
        return;
    }
    switch (res->fix_kind) {
    case SIPC_VFY_FIX_AS_WRITTEN:
        return;
    case SIPC_VFY_FIX_MISSING_ISSUER:
        missing_issuer(as, file, fix, sizeof fix);
        break;
    case SIPC_VFY_FIX_EXPIRED_ISSUED:
    case SIPC_VFY_FIX_EXPIRED_PAIR:
    case SIPC_VFY_FIX_EXPIRED_CA:
        if (as == SIPC_VFY_FOR_STAGE || as == SIPC_VFY_FOR_COMMITTED)
            expired_staged(res, file, fix, sizeof fix);
        else
            expired_words(res, fix, sizeof fix);
        break;
    default:
        if (as == SIPC_VFY_FOR_FILE)
            revoked_file(res, file, fix, sizeof fix);
        else if (as == SIPC_VFY_FOR_STAGE || as == SIPC_VFY_FOR_COMMITTED)
            revoked_staged(res, fix, sizeof fix);
        else
            snprintf(fix, sizeof fix, "%s", revoked_words(res->fix_kind));
    }
    sipc_str_copy_utf8(res->fix, sizeof res->fix, fix);
}
