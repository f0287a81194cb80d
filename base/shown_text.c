/* shown_text.c - see shown_text.h. */
#include "base/shown_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str_copy.h"
#include "base/utf8_text.h"

int sipc__shown_n(const void *s, size_t n, char *out, size_t len)
{
    if (!len)
        return n > 0;
    if (!n) { /* s may then be NULL (an empty protobuf bytes field) */
        out[0] = '\0';
        return 0;
    }
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


const char *sipc__shell_word(const char *s, char *out, size_t len)
{
    static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                "_./:@%+=,-";
    size_t n = strlen(s);
    if (!len)
        return out;
    if (n && strspn(s, plain) == n) {
        sipc_str_copy(out, len, s);
        return out;
    }
    /* a byte takes at most 4 in any form: \xNN, '\'' less its quote */
    char *word = malloc(4 * n + 4), *shown = malloc(8 * n + 6);
    if (!word || !shown) {
        out[0] = '\0';
        free(word);
        free(shown);
        return out;
    }
    size_t w = 0;
    if (!sipc__shown_n(s, n, shown, 8 * n + 6)) { /* all printable: '...' */
        word[w++] = '\'';
        for (const char *p = s; *p; p++) {
            if (*p == '\'') {
                memcpy(word + w, "'\\''", 4);
                w += 4;
            } else {
                word[w++] = *p;
            }
        }
        word[w++] = '\'';
        word[w] = '\0';
    } else { /* $'...': ' and \ escaped, then shown as everywhere else */
        for (const char *p = s; *p; p++) {
            if (*p == '\'' || *p == '\\')
                word[w++] = '\\';
            word[w++] = *p;
        }
        word[w] = '\0';
        sipc__shown_n(word, strlen(word), shown, 8 * n + 6);
        snprintf(word, 4 * n + 4, "$'%s'", shown);
    }
    sipc_str_copy(out, len, word);
    free(word);
    free(shown);
    return out;
}

