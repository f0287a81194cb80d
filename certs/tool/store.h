/* store.h - the security directory $SIPC_HOME/security.
 *
 *   security/             0700
 *     node.crt            0600  PEM: certificate, chain, private key
 *     node.p12            0600  the imported PKCS#12 file, byte for byte
 *     server.tls.conf     0600  written by `tlstool enable`
 *     previous/           0700  the pair replaced by the last import or commit
 *     previous.origin     0600  how previous/ came to be (sipc_previous_origin_read)
 *     staged/             0700  the pair a rotation moves to (node.crt, node.p12)
 *     rotation            0600  the state of a rotation (sipc_rotation_read)
 *     trust/NAME.pem      0600  extra trusted roots
 *     crl/NAME.crl        0600  CRLs
 *
 * Every file is written by base's writer (base/file_replace.h): to a
 * temporary name no one can foresee in the same directory, created
 * exclusively, with mode 0600 (set with fchmod, so the umask does not
 * matter), synced, then renamed over the old one; the directory is synced
 * after. security/ and its
 * folders are never followed where they are symbolic links: refused
 * (sipc__private_dir). Every file of security/ (the key files, trust/,
 * crl/, rotation, server.tls.conf) is written, renamed and removed with the
 * *at calls in the directories opened at that check, so a folder swapped
 * for a link meanwhile is not followed; a link under a file's name is
 * refused, never written through (sipc_store_put). */
#ifndef SIPC_CERTS_STORE_H
#define SIPC_CERTS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"
#include "certs/secret_file.h" /* sipc_secret_file_read, sipc_secure_free */
#include "certs/trust.h"       /* sipc_previous_origin */

/* path = home/security[/sub][/name] into out; returns out. */
char *sipc_store_path(char *out, size_t outlen, const char *home, const char *sub,
                      const char *name);
/* Creates security/ and its subdirectories (0700, fixed if wider), and
 * removes leftover temporary files (sipc_store_sweep_tmp). */
int sipc_store_init(const char *home, char *err, size_t errlen);
/* What is known of a temporary file's write (sipc_store_tmp_fn's seen). */
typedef enum {
    SIPC_STORE_TMP_OVER,        /* no process writes it: its lock is free, or its pid gone */
    SIPC_STORE_TMP_UNKNOWN,     /* another account's, its lock not readable: cannot tell;
                                 * younger than SIPC__FILE_REPLACE_STALE */
    SIPC_STORE_TMP_UNKNOWN_OLD, /* the same, older: likely a killed write's */
    SIPC_STORE_TMP_NOT_FILE     /* a link or another non-file under such a name: no write's */
} sipc_store_tmp_seen;
/* A leftover temporary file: removed (1), or left (0) for the reason why.
 * pid: the process that wrote it, for a name of an older tlstool
 * (NAME.tmp.PID); 0 for base's (.NAME.XXXXXX.tmp). A write in progress is
 * never reported. */
typedef void (*sipc_store_tmp_fn)(void *arg, const char *path, long pid, int removed,
                                  sipc_store_tmp_seen seen, const char *why);
/* Removes the temporary files (.NAME.XXXXXX.tmp, base's writer's, and
 * NAME.tmp.PID, an older tlstool's) that writes killed before their rename
 * left in security/ and its subdirectories; they may hold a copy of a
 * private key. Only those whose write is over (base's: no process holds
 * the file's lock; an older tlstool's: its process no longer runs), and
 * only regular files owned by this user (looked at without following
 * links; a link itself is left alone). Another account's file of base's
 * pattern is left, and reported only when its lock is seen free (a write
 * in progress holds it) or cannot be looked at (root squashed on NFS: said
 * as such). fn (may be NULL) hears of each removed or left. Returns how
 * many went. */
int sipc_store_sweep_tmp(const char *home, sipc_store_tmp_fn fn, void *arg);
/* Atomic 0600 write of a file the user named (not one of the home: those
 * go through sipc_store_put), by sipc__file_replace: a symbolic link or a
 * directory at path is refused, not replaced. 0 or a negative sipc code;
 * err names the file. */
int sipc_store_write(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Atomic 0600 write of security/[sub/]name (sub NULL: security/ itself)
 * into the directory opened without following a link, never through a
 * linked security/ or sub; a symbolic link at name is refused ("PATH is a
 * symbolic link (to TARGET), which is not followed: nothing was written;
 * ... remove the link ..."). A missing security/ or sub is refused, not
 * made (sipc_store_init makes them). 0 or SIPC_ECONFIG; err names the
 * file. */
int sipc_store_put(const char *home, const char *sub, const char *name, const void *data,
                   size_t len, char *err, size_t errlen);
/* PEM text of kp (certificates, leaf first, then the private key) into a
 * malloc'd, NUL-terminated *out of *len bytes; free it with
 * sipc_secure_free(*out, *len). 0, SIPC_EINVAL (kp is empty), SIPC_EFORMAT
 * (DER wolfSSL cannot encode) or SIPC_ENOMEM. */
int sipc_keypair_to_pem(const sipc_keypair *kp, char **out, size_t *len);
/* The outcomes of an install (import, commit, roll back) besides 0 and a
 * negative code, which mean that nothing was changed. */
/* The new pair is in place, but what follows did not all happen: err says
 * what (the replaced pair not kept in previous/, or a directory not
 * synced, so that the change may not outlast a power loss). */
#define SIPC_STORE_INSTALLED 2
/* Half installed: node.p12 is the new pair's, node.crt still the old
 * one's (node.crt could not be put in place, nor the old node.p12 back);
 * err says so and what to do (run the command again). */
#define SIPC_STORE_PARTIAL 3
/* Import: node.crt from kp and node.p12 = p12 bytes; the pair it replaces
 * goes to previous/ once the new one is in (previous/ keeps what it holds
 * until then), and previous.origin records how (SIPC_PREVIOUS_IMPORT or
 * SIPC_PREVIOUS_FORCED) with that pair's fingerprint. Nothing is replaced
 * until every new file is written; the old node.p12 is put back if
 * node.crt cannot be put in place. *kept (may be
 * NULL) says whether a pair went to previous/: not when there was none, nor
 * when node.p12 already held these bytes (the same file imported again, or
 * a half install finished), which leaves previous/ as it was. 0, a negative
 * code (nothing was changed), SIPC_STORE_INSTALLED or SIPC_STORE_PARTIAL. */
int sipc_store_import(const char *home, const sipc_keypair *kp, const uint8_t *p12, size_t p12len,
                      sipc_previous_origin how, int *kept, char *err, size_t errlen);
/* Key pair rotation (tlstool rotate; the states are in certs/trust.h). */
/* kp and its PKCS#12 bytes into staged/; the state file says staged. */
int sipc_store_stage(const char *home, const sipc_keypair *kp, const uint8_t *p12, size_t p12len,
                     char *err, size_t errlen);
/* The staged pair becomes node.crt/node.p12, the replaced one (whose
 * certificate has SHA-256 current_fp) goes to previous/ (previous.origin:
 * SIPC_PREVIOUS_ROTATION, as after a roll back); the state file says
 * committed and names current_fp; staged/ is removed (also after
 * SIPC_STORE_INSTALLED, not after SIPC_STORE_PARTIAL; a staged/ that
 * cannot be removed makes SIPC_STORE_INSTALLED, err saying what to
 * remove: the pair is in place all the same). As import's
 * outcomes; a negative code leaves the pair as it was, and the state file
 * too (put back when the install after it changed nothing: err then ends
 * with what it says, or that it could not be put back). */
int sipc_store_commit(const char *home, const char *current_fp, char *err, size_t errlen);
/* Undoes a commit: node.crt/node.p12 go to staged/, previous/ is installed
 * again (so previous/ then holds the pair moved back from); rolled-back.
 * As import's outcomes. */
int sipc_store_roll_back(const char *home, char *err, size_t errlen);
/* Removes staged/ (the state file is left to the caller); a linked
 * security/ or staged/ is refused, nothing removed through it. */
int sipc_store_drop_staged(const char *home, char *err, size_t errlen);
/* Removes security/[sub/]name (trust remove, crl remove; sub NULL:
 * security/ itself), never through a linked security/ or sub (a link at
 * name is itself removed): 0; 1 when there is no such file; SIPC_ECONFIG
 * (err says why). */
int sipc_store_remove(const char *home, const char *sub, const char *name, char *err,
                      size_t errlen);
/* Writes the state file (state NULL: removes it); previous_fp may be NULL.
 * A linked security/ is refused, nothing written or removed through it. */
int sipc_store_write_rotation(const char *home, const char *state, const char *previous_fp,
                              char *err, size_t errlen);

#endif
