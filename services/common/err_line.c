/* err_line.c - see err_line.h. */
#include "err_line.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sipc/errno.h"

/* The length of the printable UTF-8 character at p, 0 when p starts no such
 * character: a C0 or C1 control (U+0080..U+009F, CSI among them: terminals
 * act on them), DEL, or a byte that is not valid UTF-8. */
static size_t printable_char(const unsigned char *p)
{
    if (*p >= 0x20 && *p < 0x7f)
        return 1;
    size_t n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
               : *p >= 0xf0 && *p <= 0xf4                              ? 4
                                                                       : 0;
    uint32_t cp = n == 2 ? *p & 0x1fu : n == 3 ? *p & 0x0fu : *p & 0x07u;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (!n || cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

int cli_shown(const char *s, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    int escaped = 0;
    while (*p && w + 5 < len) {
        size_t n = printable_char(p);
        if (n) {
            memcpy(out + w, p, n);
            w += n;
            p += n;
        } else {
            w += (size_t)snprintf(out + w, len - w, "\\x%02x", *p++);
            escaped = 1;
        }
    }
    out[w] = '\0';
    return escaped || *p;
}

const char *cli_err_line(char *buf, size_t len, int err, const char *detail)
{
    const char *plain = sipc_strerror(err);
    size_t n = strlen(plain);
    if (!detail)
        detail = "";
    if (n && !strncmp(detail, plain, n) && (!detail[n] || detail[n] == ':')) {
        detail += n;
        while (*detail == ':' || *detail == ' ')
            detail++;
    }
    /* a peer's words (its names, its error's message) reach a terminal */
    char safe[2400];
    cli_shown(detail, safe, sizeof safe);
    snprintf(buf, len, "%s [%s, %s]%s%s", plain, sipc_err_name(err),
             sipc_err_class_name(sipc_err_classify(err)), safe[0] ? ": " : "", safe);
    return buf;
}
