/* replaced_pair.c - see replaced_pair.h. */
#include "services/tlstool/replaced_pair.h"

#define WHO_PRESENTS "`sipcctl status --cluster` names the pair each node presents"

const char *replaced_holders(sipc_previous_origin how)
{
    switch (how) {
    case SIPC_PREVIOUS_IMPORT:
        return "which this node's peers hold";
    case SIPC_PREVIOUS_ROTATION:
        return "which the nodes that have not committed the rotation still present";
    case SIPC_PREVIOUS_FORCED:
        /* --force is also how the odd node out takes the pair its peers
         * hold already */
        return "which `tlstool import --force` replaced, so nothing says this node's peers hold "
               "it rather than the new one (" WHO_PRESENTS ")";
    default:
        return "which nothing here says this node's peers hold (" WHO_PRESENTS ")";
    }
}
