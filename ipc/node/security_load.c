/* security_load.c - a node's sipc_security from its configuration: the
 * imported pair in $SIPC_HOME/security/node.crt and the trust of that home
 * (trust/, crl/, the required subject and revocation policy). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/home_owner.h"
#include "base/shown_text.h"
#include "base/stack_wipe.h"
#include "base/str_copy.h"
#include "certs/keypair.h"
#include "certs/secret_file.h"
#include "ipc/security.h"
#include "sipc/node.h"

/* node.crt holds the private key: refuse to run with a key others can read,
 * or one a third account owns and so could replace (as ssh does; see
 * sipc__owner_trusted), and say the fix. st is what path leads to: a link
 * there is followed (Kubernetes Secret volumes and configuration tools link
 * each file), since the key is only read here and what protects it is the
 * file the link leads to. */
static int check_private(const struct stat *st, const char *home, const char *path, int is_dir,
                         char *err, size_t errlen)
{
    if (is_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s is not a %s", path, is_dir ? "directory" : "regular file");
        return SIPC_ECONFIG;
    }
    if (!sipc__owner_trusted(st->st_uid, home)) {
        snprintf(err, errlen,
                 "%s belongs to another account (uid %u) and holds this home's private key", path,
                 (unsigned)st->st_uid);
        sipc__owner_fix(home, path, 0, err, errlen);
        return SIPC_ECONFIG;
    }
    if ((st->st_mode & 077) == 0)
        return 0;
    char word[4400]; /* the path as a word to paste */
    snprintf(err, errlen,
             "%s is open to other users (mode %04o) and holds this home's private key: run "
             "`chmod %s %s` (tlstool import sets 0700 folders and 0600 files)",
             path, (unsigned)(st->st_mode & 07777), is_dir ? "700" : "600",
             sipc__shell_word(path, word, sizeof word));
    return SIPC_ECONFIG;
}

/* check_private on what path leads to, looked at through a descriptor
 * (O_PATH: no right to read it is needed to look); a missing one is
 * reported by the loader, with its name. */
static int check_path(const char *home, const char *path, int is_dir, char *err, size_t errlen)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    int r = fstat(fd, &st) == 0 ? check_private(&st, home, path, is_dir, err, errlen) : 0;
    close(fd);
    return r;
}

/* The pair in path from fd (-1: its open failed with open_err). */
static int read_pair(sipc_keypair *kp, int fd, int open_err, const char *path, char *err,
                     size_t errlen)
{
    if (fd < 0) {
        sipc__seterr(err, errlen, "cannot read %s: %s", path,
                     open_err == EAGAIN ? "it changed while it was opened" : strerror(open_err));
        return SIPC_ETLSCONFIG;
    }
    uint8_t *pem = NULL;
    size_t len = 0;
    if (sipc_secret_fd_read(fd, path, &pem, &len, 8u << 20, err, errlen) != 0)
        return SIPC_ETLSCONFIG;
    int r = sipc_keypair_from_file_pem(kp, (const char *)pem, len, path, err, errlen);
    sipc_secure_free(pem, len);
    if (r == 0 && (r = sipc_keypair_check_match(kp, path, err, errlen)) != 0)
        sipc_keypair_free(kp);
    return r;
}

/* The pair and trust of cfg's home in mode (not off); why_tls says, in an
 * error, what asked for TLS, and undo how to stop asking. */
__attribute__((noinline)) static int
load_in_mode_frames(sipc_security **out, const sipc_config *cfg, sipc_tls_mode mode,
                    const char *why_tls, const char *undo, int plain_if_unsafe, char *err,
                    size_t errlen)
{
    char dir[1100], path[1100];
    snprintf(dir, sizeof dir, "%s/security", cfg->home);
    snprintf(path, sizeof path, "%s/security/node.crt", cfg->home);
    int r = check_path(cfg->home, dir, 1, err, errlen);
    /* node.crt is checked on the descriptor it is read from: the key loaded
     * is the file checked, whatever is renamed or linked there meanwhile;
     * only a regular file is opened (a FIFO would block, a device's open
     * may act) */
    int fd = -1, open_err = 0;
    struct stat st;
    if (r == 0) {
        int o = sipc_secret_open_at(AT_FDCWD, path, path, 1, &fd, &st, err, errlen);
        if (o == -EINVAL)
            r = SIPC_ECONFIG;
        else if (o < 0)
            open_err = -o;
        else
            r = check_private(&st, cfg->home, path, 0, err, errlen);
    }
    /* a rotation's other pairs hold private keys too, and are trusted */
    static const char *const other[] = {"previous", "staged"};
    for (size_t i = 0; r == 0 && i < sizeof other / sizeof other[0]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/security/%s", cfg->home, other[i]);
        r = check_path(cfg->home, p, 1, err, errlen);
        snprintf(p, sizeof p, "%s/security/%s/node.crt", cfg->home, other[i]);
        if (r == 0)
            r = check_path(cfg->home, p, 0, err, errlen);
    }
    if (r != 0) {
        if (fd >= 0)
            close(fd);
        return r;
    }
    sipc_keypair kp;
    memset(&kp, 0, sizeof kp);
    r = read_pair(&kp, fd, open_err, path, err, errlen);
    if (fd >= 0)
        close(fd);
    if (r != 0 && open_err != 0 && open_err != ENOENT) {
        /* the file is there: importing again would not help */
        sipc__adderr(err, errlen, " (%s; node.crt is there but could not be opened)", why_tls);
        return r;
    }
    if (r != 0) {
        sipc__adderr(err, errlen,
                 " (%s: import the cluster's key pair with `tlstool import FILE`, or %s)",
                 why_tls, undo);
        return r;
    }
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    sipc_str_copy(pol.subject, sizeof pol.subject, cfg->subject);
    _Static_assert((int)SIPC_REVOCATION_HARD == (int)SIPC_TRUST_REV_HARD &&
                       (int)SIPC_REVOCATION_SOFT == (int)SIPC_TRUST_REV_SOFT,
                   "revocation settings map one to one");
    pol.revocation = (sipc_trust_revocation)cfg->revocation;
    sipc_trust *trust = NULL;
    r = sipc_trust_load_home(&trust, cfg->home, &pol, err, errlen);
    if (r == 0)
        r = sipc_trust_check_policy(trust, err, errlen);
    if (r != 0) {
        sipc_trust_free(trust);
        sipc_keypair_free(&kp);
        /* a home that only offers TLS (not enabled) goes on in plaintext,
         * as before the pair was imported; enabling says what is missing */
        if (r == SIPC_ECONFIG && plain_if_unsafe)
            return sipc_security_plain(out);
        return r;
    }
    char fp[65];
    const char *role = sipc_trust_rotation_pair(trust, fp, NULL);
    int staged = role && !strcmp(role, "staged pair");
    if ((r = sipc__security_new_tls(out, mode, &kp, trust, err, errlen)) != 0 || !staged)
        return r;
    /* the staged pair as its commit will judge it, for the node's status:
     * the cluster's note names the step that completes it, not the commit.
     * The verdict (8 KiB) on the heap: a key's load may run on a small
     * thread stack, and these frames already hold wolfCrypt's. A
     * judgement that could not be made says nothing of the pair: none is
     * kept, and `tlstool rotate status` says why. */
    sipc_vfy_result *res = malloc(sizeof *res);
    if (res) {
        int j = sipc_trust_judge_staged(cfg->home, &pol, time(NULL), NULL, NULL, res);
        r = sipc__security_set_staged(*out, j == 0 || j == SIPC_EPEERAUTH ? res : NULL);
        free(res);
    }
    if (!res || r != 0) {
        sipc_security_release(*out);
        *out = NULL;
        sipc__seterr(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    return 0;
}

/* load_in_mode_frames, then its dead frames cleared: wolfCrypt leaves the
 * private key it decoded and imported in its locals, and on a reload's
 * thread-pool worker nothing may overwrite them for as long as the process
 * runs, a rotated-out key included. */
static int load_in_mode(sipc_security **out, const sipc_config *cfg, sipc_tls_mode mode,
                        const char *why_tls, const char *undo, int plain_if_unsafe, char *err,
                        size_t errlen)
{
    int r = load_in_mode_frames(out, cfg, mode, why_tls, undo, plain_if_unsafe, err, errlen);
    sipc_stack_wipe();
    return r;
}

/* Whether cfg's home holds an imported pair (it may still fail to load). */
static int pair_imported(const sipc_config *cfg)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/security/node.crt", cfg->home);
    struct stat st;
    return stat(path, &st) == 0;
}

int sipc_security_load(sipc_security **out, const sipc_config *cfg, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!out || !cfg)
        return SIPC_EINVAL;
    sipc_tls_mode mode = sipc_config_effective_mode(cfg);
    if (mode != SIPC_TLS_OFF)
        return load_in_mode(out, cfg, mode, "TLS is enabled", "`tlstool disable`", 0, err, errlen);
    int r = sipc_security_plain(out);
    /* a pair imported but TLS not enabled: a client loaded by this (the
     * node) rule would be told to import the pair it has */
    if (r == 0 && pair_imported(cfg))
        sipc__security_set_plain_reason(
            *out, "TLS is not enabled in this side's home, which holds an imported key pair, "
                  "and sipc_security_load() follows [tls] enable: a client loads its home with "
                  "sipc_security_load_client(), which offers TLS; a node runs `tlstool enable` "
                  "and reloads");
    return r;
}

int sipc_security_load_service(sipc_security **out, const sipc_config *cfg, const char *service,
                               char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!out || !cfg || !service)
        return SIPC_EINVAL;
    if (strcmp(service, "pipeline") != 0 || cfg->pipeline_tls < 0)
        return sipc_security_load(out, cfg, err, errlen);
    sipc_tls_mode mode = sipc_config_service_mode(cfg, service);
    if (mode == SIPC_TLS_OFF)
        return sipc_security_plain(out);
    int r = load_in_mode(out, cfg, mode, "[pipeline] tls = 1",
                         "remove `[pipeline] tls = 1` from sipc.conf", 0, err, errlen);
    /* TLS off by design, and this listener alone requires it: a plaintext
     * peer here is a client without the pair, not a node left behind */
    if (r == 0 && !cfg->tls_enable)
        sipc__security_set_tls_reason(*out, "[pipeline] tls = 1 makes the pipeline TLS-only on "
                                            "this node, whose TLS is off: the client needs the "
                                            "cluster's key pair (`tlstool import FILE` in its "
                                            "home)");
    return r;
}

int sipc_security_load_client(sipc_security **out, const sipc_config *cfg, char *err,
                              size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!out || !cfg)
        return SIPC_EINVAL;
    if (cfg->tls_enable)
        return load_in_mode(out, cfg, SIPC_TLS_STRICT, "TLS is enabled", "`tlstool disable`", 0,
                            err, errlen);
    if (!pair_imported(cfg))
        return sipc_security_plain(out);
    /* a pair but not enabled here: offer TLS, accept a plaintext answer */
    int r = load_in_mode(out, cfg, SIPC_TLS_PERMISSIVE, "a key pair is imported",
                         "`tlstool disable`", 1, err, errlen);
    if (r == 0)
        sipc__security_set_offer_only(*out);
    return r;
}
