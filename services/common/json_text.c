/* json_text.c - see json_text.h. */
#include "json_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8_text.h"

json_t *sipc_json_text(const char *s)
{
    if (!s)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t k = sipc__utf8_char_len(p);
        if (!k)
            break;
        p += k;
    }
    if (!*p) /* the common case: valid as it is */
        return json_string(s);
    size_t n = strlen(s);
    /* a bad byte takes 4 ("\xNN"), a valid one 1 */
    char *out = malloc(4 * n + 1);
    if (!out)
        return NULL;
    size_t w = (size_t)((const char *)p - s);
    memcpy(out, s, w);
    while (*p) {
        size_t k = sipc__utf8_char_len(p);
        if (k) {
            memcpy(out + w, p, k);
            w += k;
            p += k;
        } else {
            w += (size_t)snprintf(out + w, 5, "\\x%02x", *p++);
        }
    }
    out[w] = '\0';
    json_t *j = json_string(out);
    free(out);
    return j;
}
