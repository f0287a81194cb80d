/* version.c - what this build is made of, for `--version` and logs. */
#include <cpuid.h>
#include <stdio.h>

#include "base/aes_gcm_vaes.h"
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
    char cpu[64] = "";
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    int aes = 0, pclmul = 0, avx2 = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        aes = (c >> 25) & 1;
        pclmul = (c >> 1) & 1;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
        avx2 = (b >> 5) & 1;
    snprintf(cpu, sizeof cpu, "%s%s%s%s%s", aes ? " aes" : "", pclmul ? " pclmul" : "",
             avx2 ? " avx2" : "", sipc_sha256_shani_available() ? " sha" : "",
             sipc_aes_gcm_vaes_available() ? " vaes" : ""); /* TLS records' AES-GCM on it */
#endif
    snprintf(buf, sizeof buf, "sipc %s (protocol %d); TLS engine: %s; build: %s; CPU:%s",
             SIPC_VERSION_STRING, SIPC_PROTOCOL_VERSION, sipc_tls_engine_version(),
             SIPC_WOLFSSL_DESCRIPTION, cpu[0] ? cpu : " (no AES-NI)");
    return buf;
}
