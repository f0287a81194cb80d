/* cmd_create.c - `tlstool create`: a new self-signed key pair for the
 * cluster, written as one password-protected PKCS#12 file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kernel_random.h"
#include "base/str_copy.h"
#include "certs/tool/keygen.h"
#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "certs/x509_info.h"
#include "services/tlstool/tlstool.h"

/* What to do with the new pair depends on this home: importing it over a pair
 * in use makes the node and its peers refuse each other, which a rotation
 * avoids. */
static void print_next(const opts *o, const sipc_config *cfg)
{
    /* FILE as the text says it, and as one word in the commands to paste */
    const char *shown = o->pos_shown[0], *word = o->pos_word[0];
    char path[1200], err[600];
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    sipc_rotation rot;
    if (sipc_rotation_read(o->home, &rot, err, sizeof err) == 0 && rot.state != SIPC_ROTATION_NONE) {
        printf("next: a key pair rotation is in progress on this home (%s): finish or abort it "
               "first (`tlstool rotate status` says where it is), then roll this pair out with "
               "`tlstool rotate stage %s` (the operator guide, 1.8)\n",
               sipc_rotation_state_name(rot.state), word);
        return;
    }
    if (!file_exists(path)) {
        printf("next: copy %s to every node, then run `tlstool import %s` there (this machine "
               "too), then on every node of a new cluster `tlstool enable` (strict) before it "
               "starts, or, on a cluster running in plaintext, `tlstool enable --mode permissive "
               "--reload` (the operator guide, 1.5)\n",
               shown, word);
        return;
    }
    char tls[64];
    if (cfg->tls_enable)
        snprintf(tls, sizeof tls, ", TLS %s", sipc_tls_mode_name(cfg->tls_mode));
    else
        snprintf(tls, sizeof tls, ", TLS disabled");
    printf("next: this home already has a key pair (%s/security/node.crt%s): importing this one "
           "over it would make this node and its peers refuse each other; rotate to it instead, "
           "without changing the TLS mode (the operator guide, 1.8): copy %s to every node and "
           "every client-only machine that has the pair; on each of them `tlstool rotate stage "
           "%s`, then `tlstool rotate commit` (node by node), then `tlstool rotate finish` once "
           "every one has committed; add --reload on a node\n",
           o->home_shown, tls, shown, word);
}

int cmd_create(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 2))
        return EX_USAGE;
    if (o->npos < 1)
        return fail(EX_USAGE, "create needs FILE: tlstool create -site FILE (see tlstool create --help)");
    const char *file = o->pos[0];
    sipc_keyalg alg = SIPC_KEYALG_EC256;
    if (o->key && sipc_keyalg_parse(o->key, &alg) != 0)
        return fail(EX_USAGE, "unknown --key '%s': use ecdsa-p256, ecdsa-p384, rsa-2048 or rsa-3072",
                    o->key);
    int days = o->days ? o->days : 1826;
    if (days < 1 || days > 36500)
        return fail(EX_USAGE, "--days must be between 1 and 36500");
    if (file_exists(file) && !o->force)
        return fail(EX_EXISTS, "%s already exists: choose another name or add --force to replace it",
                    o->pos_shown[0]);
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    char subject[300];
    if (o->subject) {
        snprintf(subject, sizeof subject, "%s", o->subject);
    } else {
        /* tells two clusters' pairs apart at a glance */
        uint8_t rnd[4];
        int e = sipc_kernel_random(rnd, sizeof rnd);
        if (e != 0)
            return fail(EX_FAIL, "cannot read random bytes from the kernel: %s", strerror(-e));
        /* the cluster name is free text: escaped, it is read back as written;
         * at most 40 bytes (the CN's limit), not cut inside a UTF-8 character */
        char name[41];
        sipc_str_copy_utf8(name, sizeof name, cfg.cluster);
        char esc[sizeof name * 3];
        if (sipc_subject_escape(name, esc, sizeof esc) != 0)
            return fail(EX_FAIL, "cannot write the cluster name into the certificate's subject");
        snprintf(subject, sizeof subject, "CN=sipc cluster %s %02x%02x%02x%02x", esc, rnd[0], rnd[1],
                 rnd[2], rnd[3]);
    }
    char pw[CLI_PASSWORD_BUF];
    r = get_password(o, 1, pw, sizeof pw);
    if (r)
        return r;
    sipc_keypair kp;
    char err[512];
    if (sipc_keygen_selfsigned(alg, subject, days, &kp, err, sizeof err) != 0) {
        explicit_bzero(pw, sizeof pw);
        return fail(EX_USAGE, "cannot create the key pair: %s", err);
    }
    uint8_t *der = NULL;
    size_t dlen = 0;
    r = sipc_pfx_write(&kp, pw, "sipc cluster key pair", &der, &dlen, err, sizeof err);
    sipc_keypair check;
    if (r == 0)
        r = sipc_pfx_read(der, dlen, pw, &check, NULL, NULL, err, sizeof err);
    explicit_bzero(pw, sizeof pw);
    if (r != 0) {
        sipc_keypair_free(&kp);
        free(der);
        return fail(EX_FAIL, "cannot write the PKCS#12 file: %s", err);
    }
    sipc_keypair_free(&check);
    r = sipc_store_write(file, der, dlen, err, sizeof err);
    free(der);
    if (r != 0) {
        sipc_keypair_free(&kp);
        return fail(EX_BADFILE, "%s", err);
    }
    sipc_x509 x;
    sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
    char na[32];
    sipc_time_str(x.not_after, na);
    printf("created %s (mode 0600)\n", o->pos_shown[0]);
    printf("  subject:  %s\n  key:      %s\n  valid to: %s\n  SHA-256:  %s\n", x.subject,
           x.key_desc, na, x.fingerprint);
    print_next(o, &cfg);
    sipc_keypair_free(&kp);
    return EX_OK;
}
