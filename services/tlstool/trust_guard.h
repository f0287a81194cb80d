/* trust_guard.h - the guard of a step that narrows the trust this home
 * keeps, so that a [cluster] node it accepts now may be refused after it:
 * a rotation's finish, an abort that drops the staged pair, a CRL added,
 * a CRL removed under revocation = hard.
 * Each [cluster] node is asked (sys.info) with this home's security, and
 * each that answered over TLS is dialled again with the security this home
 * has after the step; drop_judge.h judges the two. */
#ifndef SIPC_TLSTOOL_TRUST_GUARD_H
#define SIPC_TLSTOOL_TRUST_GUARD_H

#include "services/tlstool/tlstool.h"

/* A step as the guard words it and sets up the trust kept after it. The
 * texts are whole phrases, each formatted by the caller (a fingerprint in
 * it). */
typedef struct trust_step {
    const char *verb;    /* "finish": "--force to finish here anyway" */
    const char *past;    /* "finished": "not finished: ..." */
    const char *refused; /* what a node this home would refuse presents: "a certificate
                            that only the pair ... vouches for" */
    int still;           /* "still presents" (a node that has not taken a step yet) */
    const char *once;    /* "once it stops trusting the pair (SHA-256 ...)": when this
                            home would refuse them */
    const char *fix;     /* what the nodes refused must do first ("them") */
    const char *safe_order;
    const char *unasked_may; /* why a node that could not be asked may be refused */
    const char *unasked_fix; /* what such a node must do once up ("it") */
    const char *dropped;     /* SHA-256 of the pair no longer trusted after the step,
                                which a node presenting it is refused for; NULL if none */
    /* the trust after the step: this home's without the rotation's pairs
     * (own_only), plus this CRL (crl, crl_len, named crl_name in the
     * verifier's words) when given */
    int own_only;
    const uint8_t *crl;
    size_t crl_len;
    const char *crl_name;
    /* the trust after the step: this home's without crl/crl_gone (a CRL
     * removed), when given */
    const char *crl_gone;
    int name_reasons; /* the nodes refused named with the verifier's reason (which
                         certificate, and why) */
    /* the trust after the step checks revocation even where [tls]
     * revocation is off, as soft does: a CRL is stored to be used, and
     * turning revocation on applies every CRL stored meanwhile at once
     * (hard refuses more, for a status unknown, which no CRL added causes) */
    int revocation_on;
    /* nodes that could not be asked or judged only warn: for a step whose
     * harm to them shows when they connect and can be undone then (a CRL:
     * a node down is refused when it comes back presenting a revoked
     * certificate, which is what revocation is for), unlike a rotation's,
     * which a node down may have missed */
    int unasked_warns;
    /* nodes refused only warn, each named with its fix, while another node
     * answering over TLS stays accepted: for a CRL, whose purpose is to
     * refuse a node's certificate, and which a PKI's refresh brings with new
     * revocations (held back, the installed CRL ages past its next update,
     * and with revocation = hard every certificate of its issuer is refused
     * then); refused as a whole only when no such node stays accepted */
    int partial_warns;
    /* if not NULL: set to 1 when --force took the step past a refusal
     * (a node cut off knowingly), else 0, so that a --reload forces the
     * node's own guard only then, not for whatever else --force allowed */
    int *forced;
} trust_step;

/* The security a guard's second dials use: this home's trust as step
 * leaves it (a zeroed step: as it is now, the rotation's pairs in it), and
 * its pair, or with staged the staged pair (what it presents once
 * committed). Strict, since only nodes that answered over TLS are asked
 * again; resumption off, so that every handshake judges the certificates
 * anew. 0, or an exit code with err. */
int step_security(const opts *o, const sipc_config *cfg, const trust_step *step, int staged,
                  sipc_security **out, char *err, size_t errlen);

/* Whether this home dials its [cluster] nodes over TLS: TLS enabled, or a
 * client-only home (services/common/client_home.h) with a pair imported,
 * whose clients offer TLS whatever [tls] enable says. */
int trust_guard_applies(const opts *o, const sipc_config *cfg);

/* The guard: EX_OK to go on (said when some nodes changed their own trust
 * meanwhile, or with --force what it cuts off), or EX_NOT_COMMITTED with
 * the nodes named: those this home would refuse after the step, those that
 * could not be asked (down: they may not have taken the steps before), and
 * those that answered but could not be judged (both only warned about with
 * step->unasked_warns); --force goes on, warning. With step->partial_warns,
 * nodes refused while another stays accepted are only warned about. */
int trust_guard(const opts *o, const sipc_config *cfg, const trust_step *step);

#endif
