/* utf8_text.c - see utf8_text.h. */
#include "base/utf8_text.h"

#include <stdint.h>
#include <stdio.h>

/* Characters that show nothing, or nothing of their own, yet change what
 * the text around them shows: the text-direction controls (a name or a log
 * line displayed in another order than its bytes, "Trojan Source"), the
 * zero-width and other default-ignorable characters of Unicode
 * (DerivedCoreProperties Default_Ignorable_Code_Point: two names alike on
 * screen and different in bytes), the line and paragraph separators (a
 * viewer may break the line there) and the interlinear annotation marks
 * (text a viewer may hide). Sorted. */
static const struct {
    uint32_t lo, hi;
} hidden[] = {
    {0x00ad, 0x00ad},   /* soft hyphen */
    {0x034f, 0x034f},   /* combining grapheme joiner */
    {0x061c, 0x061c},   /* Arabic letter mark */
    {0x115f, 0x1160},   /* Hangul fillers */
    {0x17b4, 0x17b5},   /* Khmer inherent vowels */
    {0x180b, 0x180f},   /* Mongolian variation selectors, vowel separator */
    {0x200b, 0x200f},   /* zero width space, non-joiner, joiner; LRM, RLM */
    {0x2028, 0x202e},   /* line, paragraph separator; LRE, RLE, PDF, LRO, RLO */
    {0x2060, 0x206f},   /* word joiner, invisible operators; LRI, RLI, FSI, PDI; ... */
    {0x3164, 0x3164},   /* Hangul filler */
    {0xfe00, 0xfe0f},   /* variation selectors */
    {0xfeff, 0xfeff},   /* zero width no-break space (BOM) */
    {0xffa0, 0xffa0},   /* halfwidth Hangul filler */
    {0xfff0, 0xfffb},   /* unassigned ignorables; interlinear annotation */
    {0x1bca0, 0x1bca3}, /* shorthand format controls */
    {0x1d173, 0x1d17a}, /* musical format controls */
    {0xe0000, 0xe0fff}, /* tags, variation selectors supplement */
};

static int is_hidden(uint32_t cp)
{
    size_t lo = 0, hi = sizeof hidden / sizeof hidden[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < hidden[mid].lo)
            hi = mid;
        else if (cp > hidden[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* The length of the valid UTF-8 character at p and its code point, or 0 for
 * a byte that starts none (an overlong form, a surrogate, a cut one) or for
 * the terminating NUL. Controls count: they are characters. */
static size_t utf8_any(const unsigned char *p, uint32_t *out)
{
    if (*p && *p < 0x80) {
        *out = *p;
        return 1;
    }
    size_t n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
               : *p >= 0xf0 && *p <= 0xf4                              ? 4
                                                                       : 0;
    uint32_t cp = n == 2 ? *p & 0x1fu : n == 3 ? *p & 0x0fu : *p & 0x07u;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (!n || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *out = cp;
    return n;
}

/* utf8_any, but 0 also for an ASCII byte that is not printable. */
static size_t utf8_char(const unsigned char *p, uint32_t *out)
{
    size_t n = utf8_any(p, out);
    return n == 1 && (*p < 0x20 || *p == 0x7f) ? 0 : n;
}

size_t sipc__utf8_char_len(const unsigned char *p)
{
    uint32_t cp;
    return utf8_any(p, &cp);
}

size_t sipc__utf8_printable_len(const unsigned char *p)
{
    uint32_t cp;
    size_t n = utf8_char(p, &cp);
    if (n > 1 && (cp < 0xa0 || is_hidden(cp)))
        return 0;
    return n;
}

int sipc__utf8_printable(const char *s)
{
    return sipc__utf8_unprintable(s, NULL, 0) < 0;
}

long sipc__utf8_unprintable(const char *s, char *what, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = sipc__utf8_printable_len(p);
        if (!n) {
            uint32_t cp;
            size_t k = utf8_char(p, &cp);
            if (what && len) {
                if (k && cp >= 0x80 && cp < 0xa0)
                    snprintf(what, len, "the control character U+%04X", (unsigned)cp);
                else if (k)
                    snprintf(what, len, "U+%04X (an invisible or text-direction character)",
                             (unsigned)cp);
                else if (*p < 0x20 || *p == 0x7f)
                    snprintf(what, len, "the control character 0x%02x", *p);
                else
                    snprintf(what, len, "the byte 0x%02x (not UTF-8)", *p);
            }
            return (long)(p - (const unsigned char *)s);
        }
        p += n;
    }
    return -1;
}
