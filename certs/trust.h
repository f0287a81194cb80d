/* trust.h - the one certificate verifier of sipc.
 *
 * The same code answers `tlstool verify` and decides, during every TLS
 * handshake, whether a peer is accepted; so the words an operator reads from
 * the tool and the reason a handshake is rejected in a log are the same.
 *
 * A peer is accepted when its leaf certificate is this node's own certificate
 * (SHA-256 fingerprint match, the shared self-signed pair) or, during a key
 * pair rotation, the staged or previous one (sipc_trust_add_rotation), or when its chain
 * leads to a trusted root, every link's signature and validity hold, the
 * revocation policy is met, the leaf carries the required subject (if one is
 * configured) and has the key usage for its role. Every key on the path must
 * be RSA of 2048 bits or more or ECDSA on P-256/P-384, every signature below
 * the trust anchor must use SHA-256/384/512, and a leaf issued by a CA must
 * not be a CA itself. */
#ifndef SIPC_CERTS_TRUST_H
#define SIPC_CERTS_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certs/keypair.h"
#include "sipc/errno.h"

typedef enum {
    SIPC_VFY_OK = 0,
    SIPC_VFY_NO_CERT,            /* nothing presented */
    SIPC_VFY_MALFORMED,          /* not a parsable X.509 certificate */
    SIPC_VFY_UNTRUSTED_ROOT,     /* chain ends at a root that is not trusted */
    SIPC_VFY_INCOMPLETE_CHAIN,   /* an issuer is missing (named in the reason) */
    SIPC_VFY_BAD_SIGNATURE,      /* a link's signature does not verify */
    SIPC_VFY_EXPIRED,
    SIPC_VFY_NOT_YET_VALID,
    SIPC_VFY_REVOKED,
    SIPC_VFY_REVOCATION_UNKNOWN, /* no usable, current CRL covers the certificate (the reason
                                  * says why each installed one was not used) */
    SIPC_VFY_WRONG_SUBJECT,
    SIPC_VFY_WRONG_USAGE,        /* key usage / extended key usage lacks a role */
    SIPC_VFY_NOT_CA,             /* an issuing certificate is not a CA */
    SIPC_VFY_NOT_PINNED,         /* self-signed, but not this cluster's pair */
    SIPC_VFY_WEAK_KEY,           /* RSA under 2048 bits, EC not on P-256/P-384, other key types */
    SIPC_VFY_WEAK_SIGNATURE,     /* a link below the anchor is signed with SHA-1 (or weaker) */
    SIPC_VFY_LEAF_IS_CA,         /* an issued leaf has basicConstraints CA:TRUE */
    SIPC_VFY_NAME_NOT_PERMITTED, /* a name outside a CA's nameConstraints */
    SIPC_VFY_POLICY,             /* requireExplicitPolicy in effect, no policy valid for the path */
    SIPC_VFY_CHAIN_TOO_LONG,     /* more than SIPC_KP_MAX_CHAIN certificates presented */
    SIPC_VFY__COUNT
} sipc_vfy_status;

/* What the certificate is to be used for (which extended key usage it needs). */
enum { SIPC_PURPOSE_CLIENT = 1, SIPC_PURPOSE_SERVER = 2, SIPC_PURPOSE_BOTH = 3 };

#define SIPC_VFY_MAX_LINKS 10

/* The ends of a verdict's window when no date bounds it (64-bit time_t). */
#define SIPC_VFY_TIME_MIN ((time_t)INT64_MIN)
#define SIPC_VFY_TIME_MAX ((time_t)INT64_MAX)

/* A fix whose words depend on what the chain judged is to the one who
 * reads them (sipc_vfy_for); any other fix reads the same everywhere. */
typedef enum {
    SIPC_VFY_FIX_AS_WRITTEN = 0,
    SIPC_VFY_FIX_MISSING_ISSUER, /* complete the file and put it in place again */
    SIPC_VFY_FIX_REVOKED_SHARED, /* revoked: a CA's, or whose is not known */
    SIPC_VFY_FIX_REVOKED_PEERS,  /* revoked: the presenting node's own leaf */
    SIPC_VFY_FIX_REVOKED_OWN,    /* revoked: this node's own certificate */
    /* expired: a peer and a file checked are told who renews it; a pair
     * staged what to stage in its place, not to import */
    SIPC_VFY_FIX_EXPIRED_ISSUED, /* a leaf a CA issued: that CA renews it */
    SIPC_VFY_FIX_EXPIRED_PAIR,   /* a self-signed pair: a new one is made */
    SIPC_VFY_FIX_EXPIRED_CA      /* a CA certificate of the chain */
} sipc_vfy_fix_kind;

typedef struct sipc_vfy_link {
    char subject[256];
    char issuer[256];
    char not_before[32]; /* "2026-11-23 13:35:01 UTC" */
    char not_after[32];
    char fingerprint[65];
    char source[16];     /* "presented", "trust store", "own pair" */
    int is_ca;
} sipc_vfy_link;

typedef struct sipc_vfy_result {
    sipc_vfy_status status;
    int depth;                    /* index of the offending link, -1 if none */
    char reason[512];             /* one line: what is wrong, with names and dates */
    char fix[512];                /* one line: what the operator should do (room for the
                                   * CA names some fixes carry) */
    char warning[256];            /* e.g. soft revocation unknown, expiry < 30 days */
    sipc_vfy_link links[SIPC_VFY_MAX_LINKS]; /* leaf first, as built */
    int nlinks;
    /* The times (inclusive) between which every date this verdict rests on
     * (the links' validity, the CRLs' nextUpdate, those of CRL signers)
     * compares with now as it did: verifying the same chain against the
     * same configuration for the same purpose at any time in
     * [valid_from, valid_until] gives the same status. */
    time_t valid_from, valid_until;
    sipc_vfy_fix_kind fix_kind; /* what fix says, for sipc_vfy_fix_for */
} sipc_vfy_result;

/* What the chain judged is: the verifier words its fixes for a peer
 * presenting it in a handshake (and for the pair it judges as a home's
 * own, which is imported); a tool that checks a file, or puts it in place
 * by another command, asks sipc_vfy_fix_for for its words. */
typedef enum {
    SIPC_VFY_FOR_PEER = 0,  /* presented in a handshake; a pair imported */
    SIPC_VFY_FOR_FILE,      /* a file checked before it is anyone's (`tlstool verify FILE`) */
    SIPC_VFY_FOR_STAGE,     /* a file staged, or the staged pair (`tlstool rotate stage FILE`) */
    SIPC_VFY_FOR_COMMITTED, /* the staged pair committed although it does not verify */
    SIPC_VFY_FOR_PEM        /* a program's own PEM files (sipc_security_from_pem): no node's */
} sipc_vfy_for;

typedef struct sipc_trust sipc_trust;

/* What a missing or stale CRL means: nothing (off), a warning (soft), a
 * refusal (hard). */
typedef enum { SIPC_TRUST_REV_OFF = 0, SIPC_TRUST_REV_SOFT, SIPC_TRUST_REV_HARD } sipc_trust_revocation;

typedef struct sipc_trust_policy {
    char subject[256];                /* required subject (CN or full DN), "" = none */
    sipc_trust_revocation revocation;
} sipc_trust_policy;

/* An empty configuration; policy NULL means no required subject and soft
 * revocation. 0 or SIPC_ENOMEM. */
int sipc_trust_new(sipc_trust **out, const sipc_trust_policy *policy);
void sipc_trust_free(sipc_trust *t);
/* This node's certificate: pinned when self-signed; when its chain carries a
 * root, that root is trusted too. 0, SIPC_ETLSCONFIG (a certificate of kp
 * cannot be read; err says which) or SIPC_ENOMEM. */
int sipc_trust_set_own(sipc_trust *t, const sipc_keypair *kp, char *err, size_t errlen);
/* 0 when this trust may carry TLS: an own pair issued by a CA (not
 * self-signed), or any trusted root that is not a cluster's self-signed
 * pair (an organisation's root added with `tlstool trust add`, or carried by
 * a staged or previous pair), needs a required subject, because such a CA
 * also issues certificates to users and machines, each of which would
 * otherwise pass as a node. Else SIPC_ECONFIG with the reason and the fix
 * in err. */
int sipc_trust_check_policy(const sipc_trust *t, char *err, size_t errlen);
/* A pair this node trusts during a key pair rotation besides its own: role
 * (at most 15 characters) is "staged pair" (the pair it is moving to) or
 * "previous pair" (the one it left). A self-signed certificate is pinned
 * (an anchor, as the own pair); for an issued one, a root its chain carries
 * is trusted. A peer verified through it has that role as the source of its
 * anchor link. 0, SIPC_EINVAL (no certificate, or not readable: err says
 * which) or SIPC_ENOMEM. */
int sipc_trust_add_rotation(sipc_trust *t, const sipc_keypair *kp, const char *role, char *err,
                            size_t errlen);
/* The rotation pair added last: its role, its leaf certificate's hex
 * SHA-256 in fp (what a peer at that step presents, whether the pair is
 * pinned or trusted through a root it carries) and, unless issuer is NULL,
 * that certificate's issuer as sipc_x509 shows it; NULL with fp and issuer
 * "" when none was added. */
const char *sipc_trust_rotation_pair(const sipc_trust *t, char fp[65], char issuer[256]);
/* Whether that pair is the staged one a rotation's roll back left (loaded
 * from a home in state rolled-back, sipc_trust_load_home). */
int sipc_trust_rotation_rolled_back(const sipc_trust *t);
/* How security/previous/ came to be, as security/previous.origin records
 * it ("origin NAME" and "pair SHA-256" of the pair it describes; written
 * by certs/tool/store.c with previous/ itself). */
typedef enum {
    SIPC_PREVIOUS_UNKNOWN = 0, /* no record, or one of another pair (a home of an older
                                * tlstool, a copy by hand): nothing tells how */
    SIPC_PREVIOUS_ROTATION,    /* a rotation's commit (or its roll back) */
    SIPC_PREVIOUS_IMPORT,      /* `tlstool import`, no guard overridden */
    SIPC_PREVIOUS_FORCED       /* `tlstool import --force` of another pair over a node using TLS */
} sipc_previous_origin;
/* The origin recorded for the pair whose certificate has SHA-256 fp (the
 * one previous/ holds): SIPC_PREVIOUS_UNKNOWN when the record is missing,
 * unreadable, not understood or of another pair. Only words depend on it. */
sipc_previous_origin sipc_previous_origin_read(const char *home, const char *fp);
/* "unknown", "rotation", "import", "forced-import" (the record's words) */
const char *sipc_previous_origin_name(sipc_previous_origin how);
/* The pair this node presented before its current one (security/previous/
 * once it is no longer trusted: a rotation finished or aborted, or a pair
 * replaced by `tlstool import`). It is not trusted: a peer refused because
 * it presents it (its leaf when self-signed; a chain to a root it carries,
 * or to a CA of its chain, when issued) is told so in the refusal's reason
 * and fix, worded by how (sipc_previous_origin_read): after a rotation that
 * peer missed it (or, after a rotation rolled back and aborted here, did
 * not roll back); after an import it still presents the pair the import
 * replaced; either way adding a root would be the wrong fix. 0, SIPC_EINVAL
 * (no certificate, or one not readable: err says which) or SIPC_ENOMEM. */
int sipc_trust_set_former(sipc_trust *t, const sipc_keypair *kp, sipc_previous_origin how,
                          char *err, size_t errlen);
/* An extra trusted root (must be a CA). 0, SIPC_EINVAL (not a CA
 * certificate, err says why) or SIPC_ENOMEM. */
int sipc_trust_add_root(sipc_trust *t, const uint8_t *der, size_t len, char *err, size_t errlen);
/* A CRL (DER or PEM); several per issuer are kept (complete and delta CRLs,
 * partitions by distribution point or reason) and chosen by scope when a
 * certificate is checked. When its issuer is known to t (an anchor or a
 * certificate of the own chain) its signature is checked now against every
 * known certificate of that name and refused if none verifies; it is checked
 * again whenever it is consulted (an intermediate only peers present, a
 * separate CRL-signing key). A CRL sipc must never use (an unknown critical
 * extension) is kept and reported as not used when consulted. 0,
 * SIPC_EINVAL (not a CRL, bad signature; err says which) or SIPC_ENOMEM. */
int sipc_trust_add_crl(sipc_trust *t, const uint8_t *data, size_t len, char *err, size_t errlen);
/* The same, naming the CRL (e.g. "crl/ca.crl") in revocation reasons;
 * sipc_trust_add_crl is this with name NULL. */
int sipc_trust_add_crl_named(sipc_trust *t, const uint8_t *data, size_t len, const char *name,
                             char *err, size_t errlen);
int sipc_trust_crl_count(const sipc_trust *t);
/* The i-th CRL of t (below sipc_trust_crl_count), NULL out of range; name
 * is what sipc_trust_add_crl_named was given ("" for none). */
const struct sipc_crl *sipc_trust_crl_at(const sipc_trust *t, int i, const char **name);
/* The complete and the delta CRLs that cover one certificate are each
 * weighed together up to this many; past it a CRL is only searched for the
 * certificate (a listing revokes it) and an unknown status says so. */
#define SIPC_CRLS_WEIGHED 32
/* Is the issuer of this DER CRL an anchor or in the own chain of t? */
bool sipc_trust_knows_issuer(const sipc_trust *t, const uint8_t *crl, size_t len);
/* The names sipc_trust_load_home loads: trust/ *.pem; crl/ *.crl, *.pem,
 * *.der (NULL-terminated lists of endings). */
extern const char *const sipc_trust_root_names[], *const sipc_trust_crl_names[];
/* Whether sipc_trust_load_home loads a file so named from a folder whose
 * endings are exts (one of the two lists above): not starting with '.',
 * ending in one of exts after at least one other character. */
bool sipc_trust_name_loaded(const char *name, const char *const *exts);
/* The largest trust/ or crl/ file sipc_trust_home_files reads (a CRL of a
 * large CA runs to several MiB). sipcd's reload reads as much to tell
 * whether such a file changed: with a smaller limit a larger file would
 * look unchanged and never be applied. */
#define SIPC_TRUST_FILE_MAX (16u << 20)
/* The most certificates one trust/ file (or `tlstool trust add FILE`) may
 * hold. Such a file is a bundle of roots, each an anchor of its own, not a
 * chain that a handshake presents: SIPC_KP_MAX_CHAIN does not apply. Large
 * public bundles hold some 150 roots. */
#define SIPC_TRUST_FILE_ROOTS 256
/* Called by sipc_trust_home_files for each file: its data (NUL-terminated)
 * when its name ends in one of the extensions asked for, else NULL (a name
 * that is not loaded, for a caller that says so). 0, or an error (err set)
 * that stops the walk. */
typedef int sipc_trust_file_fn(const char *path, const char *name, const uint8_t *data,
                               size_t len, void *arg, char *err, size_t errlen);
/* The files of $home/security/sub (trust or crl) as sipc_trust_load_home
 * reads them, in name order, names starting with '.' left out: each
 * symbolic link is resolved here, and the folder, every folder and link on
 * the way to each file and the file itself must be this account's or
 * root's and not writable by another account (a folder on the way may be
 * sticky; a file system mounted read-only passes the mode test); only a
 * regular file is opened (a FIFO or device never). Each file of exts
 * (NULL-terminated, e.g. ".pem") is read from the folder's descriptor.
 * A missing folder has no files. The number of files read, or
 * SIPC_ETLSCONFIG with err naming the file and what to do. */
int sipc_trust_home_files(const char *home, const char *sub, const char *const *exts,
                          sipc_trust_file_fn *fn, void *arg, char *err, size_t errlen);
/* The roots of one trust/ file (its bytes buf, len; path for the words)
 * into t, as sipc_trust_load_home takes them. 0, or SIPC_ETLSCONFIG with
 * err saying why sipcd refuses the file ("PATH: a bundle of roots that
 * holds N certificates; ...: split it into several files", "PATH: no PEM
 * certificate in it", "PATH: " a root's refusal); every root that can be
 * added is added all the same. */
int sipc_trust_add_root_file(sipc_trust *t, const char *path, const uint8_t *buf, size_t len,
                             char *err, size_t errlen);
/* The names of trust/ and crl/ that sipc_trust_load_home does not load (a
 * Secret's ca.crt), for a warning: how many, and in note "PATH, PATH are
 * not loaded: only trust/ *.pem and ... are (...)"; 0 with note "". */
int sipc_trust_home_skipped(const char *home, char *note, size_t notelen);
/* Everything of $home/security per policy: node.crt (as own), trust/ *.pem,
 * crl/ *, and during a key pair rotation (see sipc_rotation) staged/node.crt
 * and, once committed, previous/node.crt (sipc_trust_add_rotation); outside
 * a committed rotation previous/node.crt is not trusted but named in
 * refusals (sipc_trust_set_former). Missing node.crt is an error
 * (SIPC_ETLSCONFIG) naming the file. */
int sipc_trust_load_home(sipc_trust **out, const char *home, const sipc_trust_policy *policy,
                         char *err, size_t errlen);
/* The same, the file crl/crl_out (NULL: none) left out: the trust once it
 * is removed (`tlstool crl remove`'s guard). */
int sipc_trust_load_home_without_crl(sipc_trust **out, const char *home,
                                     const sipc_trust_policy *policy, const char *crl_out,
                                     char *err, size_t errlen);

/* The required subject of t's policy ("" = none). */
const char *sipc_trust_subject(const sipc_trust *t);
/* The revocation checks of t's policy. */
sipc_trust_revocation sipc_trust_revocation_mode(const sipc_trust *t);
/* Whether only pinned pairs are trusted: this node's own pair is
 * self-signed (a peer presenting it is accepted as itself, never asked the
 * required subject), and so is every other anchor (a rotation's pair,
 * another cluster's), none a CA that issues certificates to others (whose
 * certificates the required subject is for). */
bool sipc_trust_pairs_only(const sipc_trust *t);
/* Whether this node's own certificate carries the required subject; msg
 * says so either way ("certificate subject 'X' carries the required subject
 * 'Y'", or "... differs from ...: its O differs"). False with msg "" when no
 * subject is required or t has no pair. */
bool sipc_trust_own_has_subject(const sipc_trust *t, char *msg, size_t len);

/* Certificates the TLS library must know as anchors: own certificate (when
 * self-signed), the pairs of a rotation and trusted roots, DER. */
int sipc_trust_anchor_count(const sipc_trust *t);
const sipc_der *sipc_trust_anchor(const sipc_trust *t, int i);
/* Where anchor i comes from: "own pair", "staged pair", "previous pair",
 * "trust store". */
const char *sipc_trust_anchor_source(const sipc_trust *t, int i);
/* Is this link source one of a rotation (staged or previous pair)? */
bool sipc_trust_source_is_rotation(const char *source);

/* A key pair rotation in $home/security (tlstool rotate):
 *   staged      staged/ holds the pair the node moves to; trusted with its own
 *   committed   the staged pair became node.crt; the replaced one, kept in
 *               previous/, is trusted until the rotation is finished
 *   rolled-back a commit was aborted: node.crt is the old pair again and the
 *               one it had moved to waits in staged/, still trusted
 * The state file security/rotation holds "state NAME" and, once committed,
 * "previous SHA-256" (previous/ is trusted only while it holds that very
 * certificate, so a later import cannot slip another pair into the trust). */
typedef enum {
    SIPC_ROTATION_NONE = 0,
    SIPC_ROTATION_STAGED,
    SIPC_ROTATION_COMMITTED,
    SIPC_ROTATION_ROLLED_BACK
} sipc_rotation_state;

typedef struct sipc_rotation {
    sipc_rotation_state state;
    char previous[65]; /* SHA-256 of the previous pair's certificate, "" if none */
    /* The state file says committed, but security/node.crt still holds the
     * pair it names as replaced and staged/ still holds a pair: a commit
     * stopped before its pair was in place (killed between the state file,
     * written first, and the pair; or a half install, below). Nothing was
     * committed: the node loads and presents node.crt's pair and trusts the
     * staged one, so state reads staged (previous ""), and the step that
     * finishes it is the commit again. */
    int commit_stopped;
    /* Of such a commit, security/node.p12 is the staged pair's already
     * (node.crt could not follow it: tlstool's exit 15): an abort would
     * leave node.p12 and node.crt of two pairs, so only the commit fits. */
    int commit_half;
} sipc_rotation;

/* Reads home's state file, as every reader takes it (tlstool's steps and
 * status, the node's trust and status): a missing file is
 * SIPC_ROTATION_NONE; a commit that stopped before its pair was in place
 * reads as staged (commit_stopped above). Only a regular file is opened (a
 * FIFO there would block the caller for good). 0 or SIPC_ETLSCONFIG (not a
 * regular file, unreadable or not understood; err names the file). */
int sipc_rotation_read(const char *home, sipc_rotation *rot, char *err, size_t errlen);
/* "none", "staged", "committed", "rolled-back" */
const char *sipc_rotation_state_name(sipc_rotation_state s);

/* Verifies a presented chain (leaf first; chain holds n certificates, and
 * more than SIPC_KP_MAX_CHAIN are refused as SIPC_VFY_CHAIN_TOO_LONG) at
 * time now for purpose. 0 when every check passed, else
 * SIPC_EPEERAUTH; either way res->status says which rule decided, with
 * reason, fix, warning and the links as built. res may be NULL. Thread-safe
 * for concurrent readers. */
int sipc_trust_verify(const sipc_trust *t, const sipc_der *chain, int n, int purpose, time_t now,
                      sipc_vfy_result *res);
/* Why a chain of n certificates (more than SIPC_KP_MAX_CHAIN) is refused,
 * in the words the handshake and every tool use: "the chain has N
 * certificates; sipc accepts at most MAX". */
void sipc_vfy_chain_too_long_reason(int n, char *out, size_t len);

/* "untrusted-root", "incomplete-chain", ... */
const char *sipc_vfy_status_name(sipc_vfy_status s);
/* Whether a pair refused for st can still be completed by what its home's
 * trust can add (its root, an intermediate, a CRL of its CA: `tlstool
 * trust add`, `crl add`, the file put in place again with its chain),
 * rather than a defect of the pair's own (expired, revoked, ...). */
bool sipc_vfy_completable(sipc_vfy_status st);
/* res's fix worded for what the chain is (as), file naming the file as the
 * text shows it (NULL: "FILE"): only a fix whose words depend on it
 * (res->fix_kind) changes, so that the words come from one place. */
void sipc_vfy_fix_for(sipc_vfy_result *res, sipc_vfy_for as, const char *file);

/* Told of each trust/ or crl/ file sipcd refuses ("PATH: why"), which is
 * then left out (what of it can be taken is taken). */
typedef void sipc_trust_refused_fn(void *arg, const char *text);
/* trust/ and crl/ of home into t, each file as sipc_trust_load_home takes
 * it: 0, or SIPC_ETLSCONFIG with err naming the file or folder. refused
 * NULL: a file sipcd refuses stops it, as it stops sipcd; else each such
 * file is told to refused(arg, ...) and the rest is read. */
int sipc_trust_add_home_files(sipc_trust *t, const char *home, sipc_trust_refused_fn *refused,
                              void *arg, char *err, size_t errlen);
/* The trust home would have with kp (NULL: none) as its own pair: trust/
 * and crl/ per policy, no pair of a rotation (the trust a rotation's
 * finish leaves); a trust/ or crl/ file sipcd refuses told to refused
 * (NULL: not told) and left out. 0; SIPC_EFORMAT when a certificate of kp
 * cannot be this node's, SIPC_ETLSCONFIG when a folder of trust/ or crl/
 * is refused (err says why); SIPC_ENOMEM. */
int sipc_trust_load_as_own(sipc_trust **out, const char *home, const sipc_trust_policy *policy,
                           const sipc_keypair *kp, sipc_trust_refused_fn *refused, void *arg,
                           char *err, size_t errlen);

/* How a home judges a key pair it would make its own (import, a
 * rotation's stage and commit, and the staged pair for a node's status and
 * `tlstool status`): one judgement, so that none takes a pair another
 * would refuse. */
typedef struct sipc_pair_verdict {
    sipc_vfy_result res; /* res.status SIPC_VFY_OK, res.reason "", when it verifies */
    bool completable;    /* it does not verify yet, for want of what the home's trust
                          * can add: its root, an intermediate, a CRL of its CA */
    char policy[1200];   /* why the home, kp its pair, could not use TLS (a CA and no
                          * [tls] subject: sipc_trust_check_policy); "" when it could */
} sipc_pair_verdict;
/* kp as home's own pair (sipc_trust_load_as_own), verified at now for TLS
 * client and server, its fix in the verifier's words (sipc_vfy_fix_for
 * words it for another command). 0 with v filled, whether kp verifies or
 * not; else sipc_trust_load_as_own's error, with err. */
int sipc_trust_judge_pair(const char *home, const sipc_trust_policy *policy,
                          const sipc_keypair *kp, time_t now, sipc_trust_refused_fn *refused,
                          void *arg, sipc_pair_verdict *v, char *err, size_t errlen);

/* The pair staged in $home/security/staged/ (a rotation before its commit,
 * or rolled back), read into kp (freed with sipc_keypair_free): 0, or
 * SIPC_ETLSCONFIG with res a refusal (SIPC_VFY_MALFORMED) that names the
 * file and says to stage the pair again. */
int sipc_staged_load(const char *home, sipc_keypair *kp, sipc_vfy_result *res);
/* The pair staged in $home judged as `tlstool rotate commit` judges it
 * before it makes it the home's own (sipc_trust_judge_pair, refused as
 * there), its fix worded for a staged pair (SIPC_VFY_FOR_STAGE). 0 when
 * it verifies, else SIPC_EPEERAUTH with the refusal in res (a staged pair
 * that cannot be read is refused as SIPC_VFY_MALFORMED). When no
 * judgement can be made (a certificate that cannot be this node's, a
 * folder of trust/ or crl/ refused, no memory), nothing is known of the
 * pair: sipc_trust_load_as_own's error (SIPC_EFORMAT, SIPC_ETLSCONFIG,
 * SIPC_ENOMEM), res's reason saying why and its fix what to do. */
int sipc_trust_judge_staged(const char *home, const sipc_trust_policy *policy, time_t now,
                            sipc_trust_refused_fn *refused, void *arg, sipc_vfy_result *res);

#endif
