/* fuzz_pkcs12.c - libFuzzer target: PKCS#12 import (tlstool import) with a
 * fixed password, the one the seed files were written with, so mutations of
 * a real file get past the MAC and into the decrypted bags. A file that
 * imports must hold a key that belongs to its leaf. */
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

#include "certs/tool/pkcs12.h"

#define FUZZ_PFX_PASSWORD "FuzzPassW0rd784"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sipc_keypair kp;
    char err[512];
    sipc_pfx_error why;
    int r = sipc_pfx_read(data, size, FUZZ_PFX_PASSWORD, &kp, &why, err, sizeof err);
    if (r == 0) {
        bool match = false;
        if (kp.ncerts < 1 || sipc_keypair_matches(&kp, &match, err, sizeof err) != 0 || !match)
            abort(); /* an import that succeeded with a key not matching its certificate */
    }
    sipc_keypair_free(&kp);
    return 0;
}
