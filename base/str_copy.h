/* str_copy.h - a C string into a fixed-size array, cut to fit. It does what
 * snprintf(dst, cap, "%s", src) does without parsing a format: connections
 * copy addresses, node names and TLS details several times each, and the
 * printf machinery cost more than the copies. */
#ifndef SIPC_BASE_STR_COPY_H
#define SIPC_BASE_STR_COPY_H

#include <stddef.h>
#include <string.h>

/* Copies src into dst, which holds cap bytes: at most cap - 1 characters and
 * always a terminating NUL (with cap 0, nothing is written). dst and src must
 * not overlap. Returns 1 if src did not fit whole (strlen(src) >= cap, when
 * snprintf would return cap or more), else 0. */
static inline int sipc_str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    int cut = n >= cap;
    if (cap == 0)
        return cut;
    if (cut)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return cut;
}

/* sipc_str_copy for text: a cut falls between UTF-8 characters, never
 * inside one (a reader that checks the text would refuse a broken one, a
 * terminal shows garbage), so dst may keep up to 3 bytes fewer (also when
 * src is not UTF-8). */
static inline int sipc_str_copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    int cut = n >= cap;
    if (cap == 0)
        return cut;
    if (cut) {
        /* src[n] then starts a character, whose bytes all stay out; a
         * character has at most 3 bytes after its first, so text that is not
         * UTF-8 (a Latin-1 path) loses no more than that */
        n = cap - 1;
        for (int k = 0; k < 3 && n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80; k++)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return cut;
}

#endif
