/* build_id.c - which source this build was made from (cmake/BuildId.cmake
 * writes the header at every build). Alone in its file: a new commit
 * recompiles this and nothing else. */
#include "sipc/sipc.h"
#include "sipc_build_id.h"

const char *sipc_build_id(void)
{
    return SIPC_BUILD_ID;
}
