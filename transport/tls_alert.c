/* tls_alert.c - see tls_alert.h. wolfSSL picks the alert of a refused
 * certificate from its own error code, and for a chain the verify callback
 * refuses that is always bad_certificate: the verifier knows the cause
 * (revoked, revocation unknown, a date), and the alert is recoded to it, so
 * that the refused side can say the cause without the refusing side's log. */
#include <stdio.h>
#include <string.h>

#include "base/time_text.h"
#include "transport/tls_alert.h"

const char *sipc__tls_alert_text(int code)
{
    switch (code) {
    /* RFC 5246 7.2 and RFC 8446 6 */
    case 0:
        return "close_notify";
    case 10:
        return "unexpected_message";
    case 20:
        return "bad_record_mac";
    case 21:
        return "decryption_failed";
    case 22:
        return "record_overflow";
    case 30:
        return "decompression_failure";
    case 40:
        return "handshake_failure";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 47:
        return "illegal_parameter";
    case 48:
        return "unknown_ca";
    case 49:
        return "access_denied";
    case 50:
        return "decode_error";
    case 51:
        return "decrypt_error";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 86:
        return "inappropriate_fallback";
    case 90:
        return "user_canceled";
    case 100:
        return "no_renegotiation";
    case 109:
        return "missing_extension";
    case 110:
        return "unsupported_extension";
    case 112:
        return "unrecognized_name";
    case 113:
        return "bad_certificate_status_response";
    case 115:
        return "unknown_psk_identity";
    case 116:
        return "certificate_required";
    case 120:
        return "no_application_protocol";
    default: {
        static _Thread_local char number[16]; /* an unassigned code, by number */
        snprintf(number, sizeof number, "%d", code);
        return number;
    }
    }
}

int sipc__tls_alert_refuses_cert(int code)
{
    return code == 42 || code == 43 || code == 44 || code == 45 || code == 46 || code == 48;
}

void sipc__tls_cert_alert_words(int code, char *out, size_t len)
{
    if (code == 44)
        snprintf(out, len,
                 "peer rejected this side's certificate (alert certificate_revoked): a CRL the "
                 "peer holds revokes it, or a CA certificate sent with it (the peer's log names "
                 "the certificate, the CRL and the serial); fix: give this side a new "
                 "certificate that the CRL does not revoke, from a CA it does not revoke either "
                 "(`tlstool import NEW.pfx`, then a reload)");
    else if (code == 46)
        snprintf(out, len,
                 "peer rejected this side's certificate (alert certificate_unknown): a sipc peer "
                 "sends it when it cannot establish the certificate's revocation status "
                 "(revocation = hard, and no current CRL there for an issuer of this side's "
                 "chain: missing, or past its next update); the peer's log names the CRL; fix "
                 "there: add a current CRL (`tlstool crl add FILE --reload`)");
    else
        snprintf(out, len,
                 "peer rejected this side's certificate (alert %s); the peer's log (a client's: "
                 "its error output) says why",
                 sipc__tls_alert_text(code));
}

void sipc__tls_expired_alert_words(int64_t now, int64_t not_before, int64_t not_after,
                                   const char *not_before_of, const char *not_after_of,
                                   const char *peer, char *out, size_t len)
{
    char from[32], until[32];
    sipc_time_str((time_t)not_before, from);
    sipc_time_str((time_t)not_after, until);
    if (now > not_after && not_after_of[0])
        snprintf(out, len,
                 "peer rejected this side's certificate (alert certificate_expired): the issuer "
                 "certificate sent with it, '%s', expired on %s by this side's clock too (the "
                 "peer checks every certificate sent): roll out a new pair (operator guide 1.8)",
                 not_after_of, until);
    else if (now > not_after)
        snprintf(out, len,
                 "peer rejected this side's certificate (alert certificate_expired): it expired "
                 "on %s by this side's clock too: roll out a new pair (operator guide 1.8)",
                 until);
    else if (now < not_before)
        snprintf(out, len,
                 "peer rejected this side's certificate (alert certificate_expired: expired or "
                 "not yet valid): by this side's clock too %s%s%s is not valid before %s: check "
                 "this machine's clock",
                 not_before_of[0] ? "the issuer certificate sent with it, '" : "it", not_before_of,
                 not_before_of[0] ? "'," : "", from);
    else
        snprintf(out, len,
                 "peer rejected this side's certificate as expired or not yet valid (alert "
                 "certificate_expired), but by this side's clock it is valid (%s to %s): the "
                 "clock of the peer%s%s is probably wrong (behind the start or past the end); "
                 "check it there (date -u, NTP), or this machine's, if `date -u` here is off",
                 from, until, peer[0] ? " " : "", peer);
}

int sipc__tls_alert_recode(const uint8_t *rec, size_t len, int want, uint8_t out[7])
{
    static const uint8_t bad[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 42};
    /* any TLS 1.x minor version: only the record's own bytes matter */
    if (len != sizeof bad || want == 42 || !sipc__tls_alert_refuses_cert(want) ||
        rec[0] != bad[0] || rec[1] != bad[1] || memcmp(rec + 3, bad + 3, 4) != 0)
        return 0;
    memcpy(out, rec, 6);
    out[6] = (uint8_t)want;
    return 1;
}
