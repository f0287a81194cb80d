/* shown_text.c - see shown_text.h. */
#include "shown_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/shown_text.h"

int cli_shown_n(const void *s, size_t n, char *out, size_t len)
{
    return sipc__shown_n(s, n, out, len);
}

int cli_shown(const char *s, char *out, size_t len)
{
    return sipc__shown_n(s, strlen(s), out, len);
}

const char *cli_shell_word(const char *s, char *out, size_t len)
{
    return sipc__shell_word(s, out, len);
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
