/* home_trust.c - this node's home as the commands read it: sipc.conf, the
 * trust the transport would load, the imported pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error_text.h"
#include "certs/pem.h"
#include "certs/tool/store.h"
#include "services/common/client_home.h"
#include "services/tlstool/tlstool.h"

int load_config(const opts *o, sipc_config *cfg)
{
    char err[512];
    /* main refuses a missing home for every command but create, import
     * (which makes it) and verify FILE, which run with the defaults */
    if (sipc_config_load_or_defaults(cfg, o->home, err, sizeof err) != 0)
        return fail(EX_CONFIG, "%s", err); /* it names the home or the line of sipc.conf */
    return 0;
}

void policy_of(const sipc_config *cfg, sipc_trust_policy *pol)
{
    memset(pol, 0, sizeof *pol);
    snprintf(pol->subject, sizeof pol->subject, "%s", cfg->subject);
    pol->revocation = (sipc_trust_revocation)cfg->revocation;
}

const char *revocation_name(sipc_revocation r)
{
    return r == SIPC_REVOCATION_OFF ? "off" : r == SIPC_REVOCATION_HARD ? "hard" : "soft";
}

int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A file sipcd refuses does not stop a command that reads the trust
 * without a pair, or with a new one import judges: what can be read of it
 * is taken, but never silently, since the node would not start. A CRL is
 * judged by the loader's own check (sipc_trust_add_crl_named): one `crl
 * add` kept while its issuer was not known here is refused once the pair
 * or a root makes it known and its signature does not verify. */
#define SIPCD_REFUSES "(sipcd refuses such a file: with TLS on it would not start, nor take a reload)"

void say_refused(void *arg, const char *text)
{
    (void)arg;
    warn("%s " SIPCD_REFUSES, text);
}

int trust_exit(int r, char *err, size_t errlen)
{
    char why[1600];
    if (r == SIPC_EFORMAT) {
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "the certificate cannot be used as this node's pair: %s", why);
    }
    return r == 0 ? 0 : r == SIPC_EFORMAT ? EX_BADFILE : r == SIPC_ENOMEM ? EX_FAIL : EX_CONFIG;
}

/* build_trust, saying only the warnings about trust/ files (not quiet):
 * 0 or an exit code with err. */
static int trust_of(const opts *o, const sipc_config *cfg, const sipc_keypair *own, int quiet,
                    sipc_trust **out, int *have_pair, char *err, size_t errlen)
{
    char path[1200];
    sipc_trust_policy pol;
    policy_of(cfg, &pol);
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    *have_pair = file_exists(path);
    if (*have_pair && !own)
        return sipc_trust_load_home(out, o->home, &pol, err, errlen) != 0 ? EX_CONFIG : 0;
    return trust_exit(sipc_trust_load_as_own(out, o->home, &pol, own, quiet ? NULL : say_refused,
                                             NULL, err, errlen),
                      err, errlen);
}

/* Import checks a new pair with own set, before it replaces node.crt. */
int build_trust(const opts *o, const sipc_config *cfg, const sipc_keypair *own, sipc_trust **out,
                int *have_pair)
{
    char err[1600];
    int r = trust_of(o, cfg, own, 0, out, have_pair, err, sizeof err);
    return r ? fail(r, "%s", err) : 0;
}

int load_trust(const opts *o, const sipc_config *cfg, sipc_trust **out, int *have_pair)
{
    return build_trust(o, cfg, NULL, out, have_pair);
}

int load_trust_without_crl(const opts *o, const sipc_config *cfg, const char *crl,
                           sipc_trust **out, char *err, size_t errlen)
{
    sipc_trust_policy pol;
    policy_of(cfg, &pol);
    return sipc_trust_load_home_without_crl(out, o->home, &pol, crl, err, errlen) != 0 ? EX_CONFIG
                                                                                      : 0;
}

int load_trust_quiet(const opts *o, const sipc_config *cfg, const sipc_keypair *own,
                     sipc_trust **out, int *have_pair, char *err, size_t errlen)
{
    return trust_of(o, cfg, own, 1, out, have_pair, err, errlen);
}

int load_pair_unchecked(const opts *o, sipc_keypair *kp, int quiet)
{
    char path[1200], err[600];
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    if (!file_exists(path)) {
        if (!quiet)
            fail(EX_NOPAIR, "no key pair is imported on %s (%s is missing): run "
                            "`tlstool import FILE` first",
                 sipc_cli_home_words_at(o->home).here, path);
        return EX_NOPAIR;
    }
    if (sipc_keypair_load_pem(kp, path, NULL, err, sizeof err) != 0) {
        if (!quiet)
            fail(EX_NOPAIR, "%s; import the pair again with `tlstool import FILE`", err);
        return EX_NOPAIR;
    }
    return 0;
}

int pair_key_check(const opts *o, const sipc_keypair *kp, char *why, size_t whylen)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    int r = sipc_keypair_check_match(kp, path, why, whylen);
    if (r == SIPC_ENOMEM)
        sipc__seterr(why, whylen, "out of memory");
    return r == 0 ? 0 : r == SIPC_ENOMEM ? EX_FAIL : EX_KEY;
}

int load_pair(const opts *o, sipc_keypair *kp, int quiet)
{
    int r = load_pair_unchecked(o, kp, quiet == LOAD_PAIR_QUIET);
    if (r)
        return r;
    /* sipcd and sipcctl refuse such a pair: no command may take it */
    char why[1000];
    if ((r = pair_key_check(o, kp, why, sizeof why)) == 0)
        return 0;
    sipc_keypair_free(kp);
    if (quiet == LOAD_PAIR_VERDICT && r == EX_KEY)
        printf("NOT VERIFIED: %s\nFix: %s\n", why, PAIR_KEY_FIX);
    else if (quiet != LOAD_PAIR_QUIET)
        fail(r, "%s; fix: %s", why, PAIR_KEY_FIX);
    return r;
}

int verify_own(const opts *o, const sipc_config *cfg, sipc_keypair *kp, sipc_vfy_result *res)
{
    sipc_trust *t;
    int have;
    int r = load_trust(o, cfg, &t, &have);
    if (r)
        return -r;
    sipc_vfy_status st = sipc_trust_verify(t, kp->certs, kp->ncerts, SIPC_PURPOSE_BOTH,
                                           time(NULL), res) == 0 ? SIPC_VFY_OK : res->status;
    sipc_trust_free(t);
    return (int)st;
}

int home_pair_fp(const opts *o, const char *sub, char fp[65], char *subject, size_t sublen)
{
    char path[1200], err[600];
    struct stat st;
    sipc_keypair kp;
    sipc_x509 x;
    fp[0] = 0;
    if (subject)
        subject[0] = 0;
    if (sub)
        snprintf(path, sizeof path, "%s/security/%s/node.crt", o->home, sub);
    else
        snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    /* only a regular file is read (a link followed): a FIFO would block */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        sipc_keypair_load_pem(&kp, path, NULL, err, sizeof err) != 0)
        return 1;
    snprintf(fp, 65, "%s", kp.fingerprint);
    if (subject && sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0) == 0)
        snprintf(subject, sublen, "%s", x.subject);
    sipc_keypair_free(&kp);
    return 0;
}
