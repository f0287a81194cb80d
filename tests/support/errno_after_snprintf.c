/* errno_after_snprintf.c - an LD_PRELOAD library: snprintf as POSIX allows
 * it to be, changing errno although it succeeds. When what it wrote
 * contains $SNPRINTF_ENOENT_MATCH, errno is ENOENT afterwards, so a caller
 * that reads errno after a snprintf reads that instead of its own call's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int snprintf(char *s, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(s, n, fmt, ap);
    va_end(ap);
    const char *m = getenv("SNPRINTF_ENOENT_MATCH");
    if (m && *m && s && n && strstr(s, m))
        errno = ENOENT;
    return r;
}
