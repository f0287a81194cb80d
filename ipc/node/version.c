/* version.c - what this build is made of, for `--version` and logs. */
#include <stdio.h>

#include "base/aes_gcm.h"
#include "base/cpu_features.h"
#include "base/sha256_shani.h"
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
    const unsigned f = sipc_cpu_features();
    char cpu[64];
    /* aes and pclmul (with avx): the TLS records' AES-GCM runs on them,
     * on vaes where listed (on 512-bit registers with avx512 too); sha:
     * SHA-256 does */
    int vaes = sipc_aes_gcm_vaes_available();
    snprintf(cpu, sizeof cpu, "%s%s%s%s%s%s", f & SIPC_CPU_AES ? " aes" : "",
             f & SIPC_CPU_PCLMUL ? " pclmul" : "", f & SIPC_CPU_AVX2 ? " avx2" : "",
             sipc_sha256_shani_available() ? " sha" : "", vaes ? " vaes" : "",
             vaes && (f & SIPC_CPU_AVX512) ? " avx512" : "");
    snprintf(buf, sizeof buf, "sipc %s (protocol %d, build %s); TLS engine: %s; wolfSSL built as: %s; CPU:%s",
             SIPC_VERSION_STRING, SIPC_PROTOCOL_VERSION, sipc_build_id(), sipc_tls_engine_version(),
             SIPC_WOLFSSL_DESCRIPTION, cpu[0] ? cpu : " (no AES-NI)");
    return buf;
}
