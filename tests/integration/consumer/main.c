/* An out-of-tree program that uses only the installed public headers. */
#include <sipc/node.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    sipc_router *r = NULL;
    int rc = sipc_router_new(&r);
    if (rc != 0) {
        fprintf(stderr, "sipc_router_new: %s\n", sipc_strerror(rc));
        return 1;
    }
    sipc_router_free(r);
    /* the loader bound this program to the soname of the ABI it was built for */
    if (sipc_abi_version() != SIPC_ABI_VERSION) {
        fprintf(stderr, "loaded libsipc ABI %d, built for %d\n", sipc_abi_version(), SIPC_ABI_VERSION);
        return 1;
    }
    const char *msg = sipc_strerror(SIPC_EPEERAUTH);
    if (strcmp(sipc_err_name(SIPC_EPEERAUTH), "SIPC_EPEERAUTH") != 0 || msg[0] == '\0')
        return 1;
    printf("consumer ok: %s | %s\n", sipc_version_string(), msg);
    return 0;
}
