/* cmd_verify.c - `tlstool verify`: a chain verified exactly as a peer's is
 * in a handshake. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "services/common/client_home.h"
#include "services/tlstool/tlstool.h"

static int parse_purpose(const char *s, int *out)
{
    if (!s || !strcmp(s, "both"))
        *out = SIPC_PURPOSE_BOTH;
    else if (!strcmp(s, "client"))
        *out = SIPC_PURPOSE_CLIENT;
    else if (!strcmp(s, "server"))
        *out = SIPC_PURPOSE_SERVER;
    else
        return -1;
    return 0;
}

int cmd_verify(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 1))
        return EX_USAGE;
    int purpose;
    if (parse_purpose(o->purpose, &purpose) != 0)
        return fail(EX_USAGE, "--purpose must be client, server or both");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_keypair kp;
    const char *what, *word = NULL; /* as the text names it, as a word to paste */
    int is_pfx = 0;
    if (o->npos == 1) {
        if ((r = read_chain(o, 0, &kp, &is_pfx)) != 0)
            return r;
        what = o->pos_shown[0];
        word = o->pos_word[0];
    } else {
        if ((r = load_pair(o, &kp, LOAD_PAIR_VERDICT)) != 0)
            return r;
        what = "the imported pair";
    }
    sipc_trust *t;
    int have;
    if ((r = load_trust(o, &cfg, &t, &have)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    sipc_vfy_result res;
    sipc_vfy_status st =
        sipc_trust_verify(t, kp.certs, kp.ncerts, purpose, time(NULL), &res) == 0 ? SIPC_VFY_OK
                                                                                   : res.status;
    /* With no pair imported, a chain this home cannot anchor stops at its
     * root and hides any other defect; it is checked again as import checks
     * a pair (the root it carries trusted), which says what import will. */
    int as_import = o->npos == 1 && !have &&
                    (st == SIPC_VFY_UNTRUSTED_ROOT || st == SIPC_VFY_INCOMPLETE_CHAIN ||
                     st == SIPC_VFY_NOT_PINNED);
    sipc_vfy_status own_st = st;
    if (as_import) {
        sipc_trust *it;
        int h;
        if ((r = build_trust(o, &cfg, &kp, &it, &h)) != 0) {
            sipc_trust_free(t);
            sipc_keypair_free(&kp);
            return r;
        }
        sipc_vfy_result ires;
        own_st = sipc_trust_verify(it, kp.certs, kp.ncerts, purpose, time(NULL), &ires) == 0
                     ? SIPC_VFY_OK
                     : ires.status;
        sipc_trust_free(it);
        /* what the pair's own trust took from FILE, FILE presented */
        for (int i = 0; i < ires.nlinks; i++)
            if (!strcmp(ires.links[i].source, "own pair"))
                snprintf(ires.links[i].source, sizeof ires.links[i].source, "presented");
        if (own_st != SIPC_VFY_OK)
            st = own_st;
        res = ires;
    }
    printf("verifying %s (%d certificate(s)) for TLS %s; revocation %s%s%s\n", what, kp.ncerts,
           purpose == SIPC_PURPOSE_BOTH ? "client and server" : purpose == SIPC_PURPOSE_CLIENT ? "client" : "server",
           revocation_name(cfg.revocation), cfg.subject[0] ? "; required subject " : "",
           cfg.subject);
    const char *here = sipc_cli_home_words_of(&cfg).here;
    if (as_import)
        printf("note: no key pair is imported on %s, so %s is checked as `tlstool import` "
               "checks a pair: with a root it carries trusted (this home trusts none yet)\n",
               here, what);
    else if (!have)
        printf("note: no key pair is imported on %s; only the trust store is used\n", here);
    print_links(&res);
    if (as_import && own_st == SIPC_VFY_OK) {
        /* no defect: only the anchor is missing here, said as it is */
        const sipc_vfy_link *a = &res.links[res.nlinks - 1];
        if (res.warning[0])
            warning("%s", res.warning);
        int self = res.nlinks == 1;
        printf("NOT VERIFIED: %s '%s' (SHA-256 %.16s...) %s %s is not trusted by this home yet (no "
               "key pair is imported here); with it trusted, as `tlstool import` trusts it, the "
               "file has no other problem%s\n",
               self ? "the self-signed certificate" : "root certificate", a->subject,
               a->fingerprint, self ? "of" : "carried in", what,
               purpose == SIPC_PURPOSE_BOTH ? ""
               : purpose == SIPC_PURPOSE_CLIENT ? " as a TLS client (import checks client and server)"
                                                : " as a TLS server (import checks client and server)");
        if (is_pfx)
            printf("Fix: `tlstool import %s` makes it %s pair and so trusts %s; to accept "
                   "it as another cluster's pair instead, `tlstool trust add %s` (it adds only "
                   "the root)\n",
                   word, sipc_cli_home_words_of(&cfg).heres, self ? "it" : "its root", word);
        else
            printf("Fix: importing the PKCS#12 file of this pair (`tlstool import`) makes it %s "
                   "pair and so trusts %s; to accept it as another cluster's pair instead, "
                   "add its root with `tlstool trust add`\n",
                   sipc_cli_home_words_of(&cfg).heres, self ? "it" : "its root");
    } else {
        /* the verifier words its fixes for a handshake, whose certificate
         * a node presents; a file checked is only a candidate */
        if (o->npos == 1)
            sipc_vfy_fix_for(&res, SIPC_VFY_FOR_FILE, what);
        print_verdict(&res);
    }
    /* an issuer between the leaf and the anchor that FILE lacks was taken
     * from this node's pair: a node without it finds the chain incomplete */
    for (int i = 1; o->npos == 1 && i + 1 < res.nlinks; i++)
        if (!strcmp(res.links[i].source, "own pair"))
            printf("note: %s lacks the intermediate CA '%s'; it was taken from %s imported "
                   "pair. A node without it finds the chain incomplete (exit 23): export the "
                   "PKCS#12 with the whole chain (openssl pkcs12 -export ... -certfile CHAIN)\n",
                   what, res.links[i].subject, sipc_cli_home_words_of(&cfg).heres);
    sipc_trust_free(t);
    sipc_keypair_free(&kp);
    return tlstool_verify_exit_code(st);
}
