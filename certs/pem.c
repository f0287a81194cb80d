/* pem.c - PEM text to DER. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/pem.h"
#include "sipc/errno.h"

int sipc_is_pem(const uint8_t *buf, size_t len)
{
    const char *tag = "-----BEGIN ";
    size_t tl = strlen(tag);
    for (size_t i = 0; i + tl <= len; i++)
        if (memcmp(buf + i, tag, tl) == 0)
            return 1;
    return 0;
}

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

long sipc_pem_block(const char *pem, size_t len, size_t *pos, const char *label, uint8_t **out)
{
    char begin[80], end[80];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    *out = NULL;
    if (*pos >= len)
        return 0;
    const char *b = memfind(pem + *pos, len - *pos, begin);
    if (!b)
        return 0;
    const char *body = b + strlen(begin);
    const char *e = memfind(body, (size_t)(pem + len - body), end);
    if (!e)
        return -1;
    size_t bl = (size_t)(e - body);
    /* copy without whitespace: Base64_Decode accepts line breaks but not all blanks */
    char *clean = malloc(bl + 1);
    uint8_t *der = malloc(bl + 1);
    if (!clean || !der) {
        free(clean);
        free(der);
        return -1;
    }
    size_t w = 0;
    for (size_t i = 0; i < bl; i++)
        if (!isspace((unsigned char)body[i]))
            clean[w++] = body[i];
    word32 dl = (word32)(bl + 1);
    int rc = Base64_Decode((const byte *)clean, (word32)w, der, &dl);
    free(clean);
    *pos = (size_t)(e + strlen(end) - pem);
    if (rc != 0 || dl == 0) {
        free(der);
        return -1;
    }
    *out = der;
    return (long)dl;
}

long sipc_pem_or_der(const uint8_t *data, size_t len, const char *label, uint8_t **out)
{
    *out = NULL;
    if (sipc_is_pem(data, len)) {
        size_t pos = 0;
        long dl = sipc_pem_block((const char *)data, len, &pos, label, out);
        return dl > 0 ? dl : -1;
    }
    *out = malloc(len ? len : 1);
    if (!*out)
        return -1;
    memcpy(*out, data, len);
    return (long)len;
}

int sipc_pem_certs(const char *pem, size_t len, sipc_der *out, int max)
{
    size_t pos = 0;
    int n = 0;
    while (n < max) {
        uint8_t *der;
        long dl = sipc_pem_block(pem, len, &pos, "CERTIFICATE", &der);
        if (dl == 0)
            break;
        if (dl < 0) {
            for (int i = 0; i < n; i++)
                sipc_der_free(&out[i]);
            return SIPC_ETLSCONFIG;
        }
        out[n].data = der;
        out[n].len = (size_t)dl;
        n++;
    }
    return n;
}
