/* err_line.c - see err_line.h. */
#include "err_line.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8_text.h"
#include "sipc/errno.h"

int cli_shown(const char *s, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    int escaped = 0;
    while (*p && w + 5 < len) {
        size_t n = sipc__utf8_printable_len(p);
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
