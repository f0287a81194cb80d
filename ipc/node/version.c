/* version.c - what this build is made of, for `--version` and logs. */
#include <stdio.h>

#include "base/cpu_features.h"
#include "sipc/node.h"
#include "transport/tls_engine.h"

#ifndef SIPC_WOLFSSL_DESCRIPTION
#define SIPC_WOLFSSL_DESCRIPTION "wolfSSL"
#endif

const char *sipc_version_string(void)
{
    static char buf[512];
    if (buf[0])
        return buf;
    char cpu[64];
    /* every extension the fast paths are chosen by (the TLS records'
     * AES-GCM, SHA-256), so that the list tells which ones run */
    sipc_cpu_features_text(sipc_cpu_features(), cpu, sizeof cpu);
    snprintf(buf, sizeof buf, "sipc %s (protocol %d, build %s); TLS engine: %s; wolfSSL built as: %s; CPU:%s",
             SIPC_VERSION_STRING, SIPC_PROTOCOL_VERSION, sipc_build_id(), sipc_tls_engine_version(),
             SIPC_WOLFSSL_DESCRIPTION, cpu[0] ? cpu : " (no AES-NI)");
    return buf;
}
