/* pem.c - PEM text to DER. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error_text.h"
#include "certs/pem.h"
#include "certs/secret_file.h"
#include "sipc/errno.h"

static const char *memfind(const char *h, size_t hl, const char *n)
{
    size_t nl = strlen(n);
    if (nl > hl)
        return NULL;
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(h + i, n, nl) == 0)
            return h + i;
    return NULL;
}

bool sipc_is_pem(const uint8_t *buf, size_t len)
{
    return memfind((const char *)buf, len, "-----BEGIN ") != NULL;
}

int sipc_pem_block(const char *pem, size_t len, size_t *pos, const char *label, uint8_t **out,
                   size_t *outlen, char *err, size_t errlen)
{
    assert(pos && label && out && outlen);
    char begin[80], end[80];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    *out = NULL;
    *outlen = 0;
    if (*pos >= len)
        return 0;
    const char *b = memfind(pem + *pos, len - *pos, begin);
    if (!b)
        return 0;
    const char *body = b + strlen(begin);
    const char *e = memfind(body, (size_t)(pem + len - body), end);
    if (!e) {
        sipc__seterr(err, errlen, "PEM block \"%s\" has no END line", label);
        return SIPC_EFORMAT;
    }
    size_t bl = (size_t)(e - body);
    /* copy without whitespace: Base64_Decode accepts line breaks but not all blanks */
    char *clean = malloc(bl + 1);
    uint8_t *der = malloc(bl + 1);
    if (!clean || !der) {
        free(clean);
        free(der);
        return SIPC_ENOMEM;
    }
    size_t w = 0;
    for (size_t i = 0; i < bl; i++)
        if (!isspace((unsigned char)body[i]))
            clean[w++] = body[i];
    word32 dl = (word32)(bl + 1);
    int rc = Base64_Decode((const byte *)clean, (word32)w, der, &dl);
    /* the block may be a private key: neither its Base64 nor a partly
     * decoded DER may stay behind in freed memory */
    sipc_secure_free(clean, bl + 1);
    *pos = (size_t)(e + strlen(end) - pem);
    if (rc != 0 || dl == 0) {
        sipc_secure_free(der, bl + 1);
        sipc__seterr(err, errlen, "PEM block \"%s\" is not valid Base64", label);
        return SIPC_EFORMAT;
    }
    *out = der;
    *outlen = dl;
    return 0;
}

int sipc_pem_or_der(const uint8_t *data, size_t len, const char *label, uint8_t **out,
                    size_t *outlen, char *err, size_t errlen)
{
    assert(out && outlen);
    *out = NULL;
    *outlen = 0;
    if (sipc_is_pem(data, len)) {
        size_t pos = 0;
        int r = sipc_pem_block((const char *)data, len, &pos, label, out, outlen, err, errlen);
        if (r == 0 && !*out) {
            sipc__seterr(err, errlen, "no \"%s\" PEM block", label);
            r = SIPC_EFORMAT;
        }
        return r;
    }
    *out = malloc(len ? len : 1);
    if (!*out)
        return SIPC_ENOMEM;
    memcpy(*out, data, len);
    *outlen = len;
    return 0;
}

int sipc_pem_certs(const char *pem, size_t len, sipc_der *out, int max, int *count, char *err,
                   size_t errlen)
{
    assert(out && count && max >= 0);
    size_t pos = 0;
    int n = 0;
    *count = 0;
    /* the blocks past max are counted, not kept: a chain cut without a
     * word would look incomplete. Each pass takes one block of the len
     * bytes, or ends the loop. */
    for (;;) {
        uint8_t *der;
        size_t dl;
        int r = sipc_pem_block(pem, len, &pos, "CERTIFICATE", &der, &dl, err, errlen);
        if (r != 0) {
            for (int i = 0; i < n && i < max; i++)
                sipc_der_free(&out[i]);
            return r;
        }
        if (!der)
            break;
        if (n < max) {
            out[n].data = der;
            out[n].len = dl;
        } else {
            sipc_der tmp = {der, dl};
            sipc_der_free(&tmp);
        }
        n++;
    }
    if (n > max) {
        for (int i = 0; i < max; i++)
            sipc_der_free(&out[i]);
        sipc__seterr(err, errlen, "holds %d certificates; sipc takes at most %d from one file", n,
                     max);
        *count = n;
        return SIPC_ETOOBIG;
    }
    *count = n;
    return 0;
}
