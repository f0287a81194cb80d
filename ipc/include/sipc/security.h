/* sipc/security.h - how a context's connections are secured: the TLS
 * modes, a security made from a node's home or from PEM files, and what it
 * says of itself. Included by sipc/sipc.h; the conventions stated there
 * (error codes, detail buffers, threads) hold here too. */
#ifndef SIPC_SECURITY_H
#define SIPC_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include "sipc/errno.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a context's connections are secured. OFF is 0, a zeroed field: so
 * from_pem refuses it with files and a server logs its mode at INFO. */
typedef enum {
    SIPC_TLS_OFF = 0,    /* plaintext, no authentication (sipc_security_plain) */
    SIPC_TLS_STRICT,     /* mutual TLS only; plaintext peers are refused */
    SIPC_TLS_PERMISSIVE  /* moving to TLS: listeners take both, dialers prefer TLS */
} sipc_tls_mode;
/* "off", "strict" or "permissive". */
SIPC_EXTERN const char *sipc_tls_mode_name(sipc_tls_mode mode);

/* What a context uses to secure its connections: the TLS mode and, unless the
 * mode is off, this node's certificate chain and key, the trust anchors and
 * the peer verification policy. Reference counted and read-only once made;
 * live connections keep the one they started with. */
typedef struct sipc_security sipc_security;

/* From a PEM certificate (chain) file and a PEM key file (may be the same
 * file, or NULL: the key is then read from cert_pem), mode STRICT or
 * PERMISSIVE; OFF with a file is SIPC_EINVAL (OFF with none: plain), as
 * are a NULL out or cert_pem, err naming the argument. The certificate itself
 * is the only trust anchor and peers must present it (fingerprint pinning).
 * For a program that is not a node. This checks that the files hold a
 * matching pair, not that peers will accept it: sipc_security_self_check
 * says that (an expired certificate, a weak key). Nor does it judge the
 * files' owner or mode: the key file is the caller's to keep readable by
 * its owner only (0600; sipcd refuses a node.crt others can read). An
 * encrypted key is not read, in either PEM form (PKCS#8's or OpenSSL's
 * traditional one): SIPC_ETLSCONFIG, err naming the `openssl pkey` that
 * decrypts it; the library takes no passphrase. */
SIPC_EXTERN int sipc_security_from_pem(sipc_security **out, sipc_tls_mode mode, const char *cert_pem,
                           const char *key_pem, char *err, size_t errlen);
/* Plaintext only. */
SIPC_EXTERN int sipc_security_plain(sipc_security **out);
/* Judges this node's own certificate with the same verifier peers use.
 * Returns 0 when it verifies (msg may still carry a warning, e.g. expiry in
 * under 30 days) or SIPC_EPEERAUTH with the reason and fix in msg, so a
 * daemon can say at start that every handshake is going to fail and why.
 * For a security from sipc_security_from_pem the fix names that pair's own
 * remedy (a new pair made as docs/quickstart.md shows, given to every
 * program that uses it), not a node's (tlstool, every node).
 * With TLS off: 0 and "". */
SIPC_EXTERN int sipc_security_self_check(const sipc_security *sec, char *msg, size_t len);
/* Whether this side's own certificate carries the subject it requires of
 * peers (the required subject, sipc_security_required_subject), judged by
 * the same verifier (a self-signed pair presented as itself is asked none). SIPC_EPEERAUTH with the verifier's
 * reason in msg ("certificate subject '...' differs from the required subject
 * '...' ...: its O differs") when it does not; else 0 and "" (no subject
 * required, TLS off, or a failure other than the subject). A peer holding
 * the same pair fails this side's check for that same reason. */
SIPC_EXTERN int sipc_security_check_own_subject(const sipc_security *sec, char *msg, size_t len);
/* Whether the subject this side requires of peers is never asked: its own
 * pair is self-signed, so a peer presenting it is accepted as itself
 * (pinned), whatever its subject, and no CA is trusted whose certificates it
 * would be asked of. 0 with msg "" when it is asked (an issued pair, a
 * trusted CA root), or none is required, or TLS is off. Else 1, with
 * *carries (may be NULL) set to whether this side's certificate carries
 * that subject all the same, and msg saying so ("certificate subject 'CN=a'
 * carries the required subject 'CN=a'", or "... differs from the required
 * subject ...: its CN differs"). */
SIPC_EXTERN int sipc_security_subject_pinned(const sipc_security *sec, int *carries, char *msg,
                                             size_t len);
/* How many peer certificates sec has refused because they lack the
 * required subject (the reason the verifier gave; not the refusals of this
 * side's certificate by peers). With sipc_security_check_own_subject, a
 * client tells a refused peer from its own wrong required subject. */
SIPC_EXTERN uint64_t sipc_security_subject_refusals(const sipc_security *sec);
SIPC_EXTERN sipc_security *sipc_security_retain(sipc_security *sec);
SIPC_EXTERN void sipc_security_release(sipc_security *sec);
SIPC_EXTERN sipc_tls_mode sipc_security_mode(const sipc_security *sec);
/* What this side presents, for status reports. */
typedef struct sipc_cert_info {
    char subject[256];     /* "O=Org, CN=name" in certificate order: printable
                            * UTF-8, any other byte of a value as \xNN; a
                            * longer name cut between characters, "..." */
    char issuer[256];      /* the same */
    char fingerprint[65];  /* hex SHA-256 of the certificate */
    int64_t not_before;    /* Unix time (s) */
    int64_t not_after;
    char key[32];          /* "ECDSA P-256", "RSA 2048" */
} sipc_cert_info;
/* The leaf certificate of sec. SIPC_ENOTCONN when TLS is off (no pair). */
SIPC_EXTERN int sipc_security_certificate(const sipc_security *sec, sipc_cert_info *out);
/* A CRL sec checks peers with, for status reports. */
typedef struct sipc_crl_info {
    char name[128];       /* as loaded ("crl/NAME"), "" if not named */
    char issuer[256];     /* as sipc_cert_info's names */
    int64_t this_update;  /* Unix time (s) */
    int64_t next_update;  /* 0: none given */
    int due_soon;         /* current, and its next update within the warning
                           * window (the smaller of 7 days and half its
                           * validity) */
    int hard;             /* sec refuses what it covers once it is past its
                           * next update ([tls] revocation = hard) */
} sipc_crl_info;
/* The i-th (from 0) CRL of sec: 0, or SIPC_EINVAL past the last (none with
 * TLS or revocation off). */
SIPC_EXTERN int sipc_security_crl(const sipc_security *sec, int i, sipc_crl_info *out);
/* Hex SHA-256 fingerprint of this node's certificate ("" when TLS is off). */
SIPC_EXTERN const char *sipc_security_fingerprint(const sipc_security *sec);
/* During a key pair rotation (tlstool rotate) the other pair this side
 * accepts besides its own: "staged" (the pair it moves to, before its
 * commit), "previous" (the one it left, after it) or "rolled_back" (the
 * pair it had moved to and rolled back from, kept staged), its certificate's hex
 * SHA-256 in fp and, unless issuer is NULL, that certificate's issuer (as
 * sipc_cert_info.issuer); NULL with fp and issuer "" when no rotation is
 * loaded (or TLS is off). */
SIPC_EXTERN const char *sipc_security_rotation_pair(const sipc_security *sec, char fp[65],
                                                    char issuer[256]);
/* During a key pair rotation before this side's commit (or after its roll
 * back: sipc_security_rotation_pair says "staged" or "rolled_back"), whether the staged pair
 * verifies as this side's own pair with the trust of its home, as `tlstool
 * rotate commit` judges it before it commits it; judged when sec was loaded
 * from a home (sipc_security_load: a node's start or reload). 1 when it
 * verifies, or none was judged (no pair staged, TLS off, a security not
 * loaded from a home, a judgement that could not be made: `tlstool rotate
 * status` says why); 0 when it does not, with the verifier's reason in
 * reason and its fix, worded for a staged pair, in fix (each may be NULL
 * with its length 0; "" when 1), and *completable (may be NULL) 1 when what
 * the home can add (a root, an intermediate, a CRL) completes it, 0 for a
 * defect of the pair's own. */
SIPC_EXTERN int sipc_security_staged_verifies(const sipc_security *sec, char *reason, size_t rlen,
                                              char *fix, size_t flen, int *completable);
/* The subject a peer's certificate must carry when it is accepted because it
 * chains to a trusted root (the one given to the security when it was
 * loaded); "" when none is required, or TLS is off. */
SIPC_EXTERN const char *sipc_security_required_subject(const sipc_security *sec);
/* TLS session resumption (on by default where the TLS library has session
 * tickets): a dialer offers the session of its last full handshake with the
 * same peer, and a listener accepts sessions it made itself under this same
 * security, for up to 5 minutes. A new security (every reload of the pair or
 * the trust) has new ticket keys and no sessions, so nothing made under an
 * old pair or trust is resumed. on = 0 turns it off, any other value on;
 * call it before sec is used. Returns 0 once resumption is as asked;
 * asked on: SIPC_ENOTSUP if the TLS library has no session tickets or
 * resumption was turned off before (that is for good), SIPC_ENOTCONN for a
 * security with TLS off (no pair). SIPC_EINVAL for a NULL sec. Turning it
 * off always succeeds. */
SIPC_EXTERN int sipc_security_set_resumption(sipc_security *sec, int on);

#ifdef __cplusplus
}
#endif

#endif
