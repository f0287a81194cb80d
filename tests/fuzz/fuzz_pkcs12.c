/* fuzz_pkcs12.c - libFuzzer target: PKCS#12 import (tlstool import) with a
 * fixed password, the one the seed files were written with, so mutations of
 * a real file get past the MAC and into the decrypted bags. Each input is
 * read as import reads it, and again allowing files without MAC or
 * encryption (which import refuses), so that mutations of such seeds reach
 * the bags, which a MAC would stop. A file that imports must hold a key that
 * belongs to its leaf, and one that import takes is also taken when
 * unprotected files are allowed. */
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

#include "certs/tool/pkcs12.h"
#include "certs/tool/pkcs12_parse.h"
#include "sipc/errno.h"

#define FUZZ_PFX_PASSWORD "FuzzPassW0rd784"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    sipc_pfx_error why;
    int strict = 1;
    for (int allow = 0; allow <= 1; allow++) {
        sipc_keypair kp;
        int r = sipc__pfx_read_opt(data, size, FUZZ_PFX_PASSWORD, allow, &kp, NULL, &why, err,
                                    sizeof err);
        if (r == 0) {
            bool match = false;
            if (kp.ncerts < 1 || sipc_keypair_matches(&kp, &match, err, sizeof err) != 0 || !match)
                abort(); /* an import that succeeded with a key not matching its certificate */
        }
        sipc_keypair_free(&kp);
        if (!allow)
            strict = r;
        else if (strict == 0 && r != 0 && r != SIPC_ENOMEM)
            abort(); /* allowing more refused what the strict reading took */
    }
    return 0;
}
