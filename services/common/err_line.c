/* err_line.c - see err_line.h. */
#include "err_line.h"

#include <stdio.h>
#include <string.h>

#include "sipc/errno.h"

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
    snprintf(buf, len, "%s [%s, %s]%s%s", plain, sipc_err_name(err),
             sipc_err_class_name(sipc_err_classify(err)), detail[0] ? ": " : "", detail);
    return buf;
}
