/* log_line.c - see log_line.h. */
#include "base/log_line.h"

static void put_clean(FILE *fp, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        putc(ch < 0x20 || ch == 0x7f ? ' ' : ch, fp);
    }
}

void sipc__log_line(FILE *fp, time_t now, const char *category, const char *level,
                    const char *msg)
{
    struct tm tm;
    localtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(fp, "%s ", ts);
    put_clean(fp, category);
    fprintf(fp, " %s ", level);
    put_clean(fp, msg);
    putc('\n', fp);
}
