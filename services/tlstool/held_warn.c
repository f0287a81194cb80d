/* held_warn.c - warnings about a step, worded as taken, said only once it
 * is: see tlstool.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "services/tlstool/tlstool.h"

#define HELD_MAX 16

static char *held[HELD_MAX];
static int nheld;

void warn_held(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    /* no room to keep it: said now rather than lost */
    if (r < 0 || nheld == HELD_MAX) {
        if (r >= 0)
            warn("%s", s);
        free(s);
        return;
    }
    held[nheld++] = s;
}

void warn_held_say(void)
{
    /* after the step's own lines, in a file that holds both streams too */
    if (nheld)
        fflush(stdout);
    for (int i = 0; i < nheld; i++) {
        warn("%s", held[i]);
        free(held[i]);
    }
    nheld = 0;
}
