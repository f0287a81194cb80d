/* abi_version.c - the binary interface this library was built with. */
#include "sipc/sipc.h"

int sipc_abi_version(void)
{
    return SIPC_ABI_VERSION;
}
