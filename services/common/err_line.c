/* err_line.c - see err_line.h. */
#include "err_line.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8_text.h"
#include "sipc/errno.h"

int cli_shown_n(const void *s, size_t n, char *out, size_t len)
{
    const unsigned char *p = s, *end = p + n;
    size_t w = 0;
    int escaped = 0;
    while (p < end && w + 5 < len) {
        /* near the end, a copy ending in NULs: the check reads up to 4 bytes */
        unsigned char tail[5] = {0};
        const unsigned char *q = p;
        if (end - p < 4)
            q = memcpy(tail, p, (size_t)(end - p));
        size_t k = sipc__utf8_printable_len(q);
        if (k) {
            memcpy(out + w, p, k);
            w += k;
            p += k;
        } else {
            w += (size_t)snprintf(out + w, len - w, "\\x%02x", *p++);
            escaped = 1;
        }
    }
    out[w] = '\0';
    return escaped || p < end;
}

int cli_shown(const char *s, char *out, size_t len)
{
    return cli_shown_n(s, strlen(s), out, len);
}

int cli_shown_lines(FILE *f, const void *s, size_t n)
{
    const char *p = s, *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* each byte takes at most 4 ("\xNN"), and the copy stops 5 short */
        char *out = malloc(4 * k + 6);
        if (!out)
            return -1;
        cli_shown_n(p, k, out, 4 * k + 6);
        int bad = fputs(out, f) == EOF || (nl && putc('\n', f) == EOF);
        free(out);
        if (bad)
            return -1;
        p += k + (nl ? 1 : 0);
    }
    return 0;
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
