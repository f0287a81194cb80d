/* verify_exit.c - see verify_exit.h. The numbers are documented: never
 * renumber, only append. */
#include "services/tlstool/verify_exit.h"

int tlstool_verify_exit_code(sipc_vfy_status s)
{
    switch (s) {
    case SIPC_VFY_OK: return 0;
    case SIPC_VFY_NO_CERT: return 20;
    case SIPC_VFY_MALFORMED: return 21;
    case SIPC_VFY_UNTRUSTED_ROOT: return 22;
    case SIPC_VFY_INCOMPLETE_CHAIN: return 23;
    case SIPC_VFY_BAD_SIGNATURE: return 24;
    case SIPC_VFY_EXPIRED: return 25;
    case SIPC_VFY_NOT_YET_VALID: return 26;
    case SIPC_VFY_REVOKED: return 27;
    case SIPC_VFY_REVOCATION_UNKNOWN: return 28;
    case SIPC_VFY_WRONG_SUBJECT: return 29;
    case SIPC_VFY_WRONG_USAGE: return 30;
    case SIPC_VFY_NOT_CA: return 31;
    case SIPC_VFY_NOT_PINNED: return 32;
    case SIPC_VFY_WEAK_KEY: return 33;
    case SIPC_VFY_WEAK_SIGNATURE: return 34;
    case SIPC_VFY_LEAF_IS_CA: return 35;
    case SIPC_VFY_NAME_NOT_PERMITTED: return 36;
    case SIPC_VFY_POLICY: return 37;
    case SIPC_VFY_CHAIN_TOO_LONG: return 38;
    case SIPC_VFY__COUNT: break;
    }
    return 1;
}
