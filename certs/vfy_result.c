/* vfy_result.c - the verifier's result (sipc_vfy_result, trust.h): the
 * names of its statuses, and how a refusal, a warning and the window of
 * validity are written into it. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/str_copy.h"
#include "certs/trust_impl.h"

const char *sipc_vfy_status_name(sipc_vfy_status s)
{
    switch (s) {
    case SIPC_VFY_OK: return "ok";
    case SIPC_VFY_NO_CERT: return "no-certificate";
    case SIPC_VFY_MALFORMED: return "malformed";
    case SIPC_VFY_UNTRUSTED_ROOT: return "untrusted-root";
    case SIPC_VFY_INCOMPLETE_CHAIN: return "incomplete-chain";
    case SIPC_VFY_BAD_SIGNATURE: return "bad-signature";
    case SIPC_VFY_EXPIRED: return "expired";
    case SIPC_VFY_NOT_YET_VALID: return "not-yet-valid";
    case SIPC_VFY_REVOKED: return "revoked";
    case SIPC_VFY_REVOCATION_UNKNOWN: return "revocation-unknown";
    case SIPC_VFY_WRONG_SUBJECT: return "wrong-subject";
    case SIPC_VFY_WRONG_USAGE: return "wrong-usage";
    case SIPC_VFY_NOT_CA: return "not-a-ca";
    case SIPC_VFY_NOT_PINNED: return "not-this-clusters-pair";
    case SIPC_VFY_WEAK_KEY: return "weak-key";
    case SIPC_VFY_WEAK_SIGNATURE: return "weak-signature";
    case SIPC_VFY_LEAF_IS_CA: return "leaf-is-ca";
    case SIPC_VFY_NAME_NOT_PERMITTED: return "name-not-permitted";
    case SIPC_VFY_POLICY: return "no-valid-policy";
    case SIPC_VFY_CHAIN_TOO_LONG: return "chain-too-long";
    default: return "unknown";
    }
}

bool sipc_vfy_completable(sipc_vfy_status st)
{
    return st == SIPC_VFY_UNTRUSTED_ROOT || st == SIPC_VFY_INCOMPLETE_CHAIN ||
           st == SIPC_VFY_REVOCATION_UNKNOWN;
}

void sipc_vfy_chain_too_long_reason(int n, char *out, size_t len)
{
    snprintf(out, len, "the chain has %d certificates; sipc accepts at most %d", n,
             SIPC_KP_MAX_CHAIN);
}

sipc_vfy_status sipc__vfail(sipc_vfy_result *res, sipc_vfy_status st, int depth, const char *fix,
                            const char *fmt, ...)
{
    assert(res && st != SIPC_VFY_OK && st < SIPC_VFY__COUNT && fix);
    assert(depth >= -1 && depth < SIPC_VFY_MAX_LINKS);
    res->status = st;
    res->depth = depth;
    /* a subject may be UTF-8: a reason too long is cut between characters
     * (a JSON status or a terminal would show a broken one as garbage) */
    char text[sizeof res->reason + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sipc_str_copy_utf8(res->reason, sizeof res->reason, text);
    sipc_str_copy_utf8(res->fix, sizeof res->fix, fix);
    res->fix_kind = SIPC_VFY_FIX_AS_WRITTEN;
    return st;
}

void sipc__vinit(sipc_vfy_result *res)
{
    memset(res, 0, sizeof *res);
    res->depth = -1;
    res->status = SIPC_VFY_OK;
    res->valid_from = SIPC_VFY_TIME_MIN;
    res->valid_until = SIPC_VFY_TIME_MAX;
}

void sipc__vwarn(sipc_vfy_result *res, const char *fmt, ...)
{
    if (res->warning[0])
        return; /* keep the first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->warning, sizeof res->warning, fmt, ap);
    va_end(ap);
}

const char *sipc__name_or(const char *s)
{
    return s && s[0] ? s : "(empty name)";
}

void sipc__vwindow(sipc_vfy_result *res, time_t from, time_t until)
{
    if (from > res->valid_from)
        res->valid_from = from;
    if (until < res->valid_until)
        res->valid_until = until;
}
