/* tls_verify_codes.c - what the error codes wolfSSL reports to the verify
 * callback mean to sipc: the words for those an operator meets, and which
 * of them concern only the certification path, which sipc's verifier
 * decides instead of wolfSSL (tls_wolfssl.c's verify_cb). Native codes in
 * the bundled build, OpenSSL's numbers where wolfSSL was built with
 * OPENSSL_COMPATIBLE_DEFAULTS (Debian's). */
#include <wolfssl/options.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <stddef.h>

#include "transport/tls_verify_codes.h"

const char *sipc__tls_verify_error_text(int e)
{
    switch (e) {
    case 18: /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
    case ASN_SELF_SIGNED_E:
        return "self-signed certificate that is not trusted";
    case 20: /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
    case ASN_NO_SIGNER_E:
        return "certificate issuer is unknown (untrusted root or incomplete chain)";
    case 10:
    case 14:
    case ASN_AFTER_DATE_E:
        return "certificate has expired";
    case 9:
    case ASN_BEFORE_DATE_E:
        return "certificate is not yet valid";
    case ASN_SIG_CONFIRM_E:
        return "certificate signature does not verify";
    case CRL_CERT_REVOKED:
        return "certificate is revoked";
    case CRL_MISSING:
        return "no CRL for the certificate's issuer";
    case EXTKEYUSAGE_E:
        return "certificate's extended key usage does not allow this role";
    default:
        return NULL;
    }
}

/* Errors of wolfSSL's own path building that sipc's verifier decides instead:
 * wolfSSL finds issuers by byte-wise name (RFC 5280 7.1 compares names
 * case- and space-insensitively, across string types), refuses critical
 * extensions it does not process (policyMappings, issuerAltName,
 * freshestCRL; on a CA certificate such an error can be overruled only
 * because wolfSSL is built with WOLFSSL_ALT_CERT_CHAINS, see tls_wolfssl.c's
 * verify_cb), has
 * its own nameConstraints and pathLenConstraint
 * rules (self-issued certificates) and may try the wrong key of a CA that
 * re-keyed. The verifier builds the path itself and checks every signature
 * on it with its own code, so when it accepts the chain these errors are
 * overruled. Anything else wolfSSL refuses (dates, key usage for the
 * handshake, key sizes, parse and memory errors) still refuses the peer.
 * Native codes in the bundled build, OpenSSL's numbers where wolfSSL was
 * built with OPENSSL_COMPATIBLE_DEFAULTS (Debian's). */
int sipc__tls_path_error_overridable(int e)
{
    switch (e) {
    case ASN_NO_SIGNER_E:
    case ASN_SELF_SIGNED_E:
    case ASN_CRIT_EXT_E:
    case ASN_NAME_INVALID_E:
    case ASN_PATHLEN_INV_E:
    case ASN_PATHLEN_SIZE_E:
    case ASN_SIG_CONFIRM_E:
    case 2:  /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT */
    case 7:  /* X509_V_ERR_CERT_SIGNATURE_FAILURE */
    case 18: /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
    case 19: /* X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN */
    case 20: /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
    case 21: /* X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE */
    case 25: /* X509_V_ERR_PATH_LENGTH_EXCEEDED */
        return 1;
    default:
        return 0;
    }
}
