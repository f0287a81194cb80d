/* error.c - sipc error codes, names and classes. libuv codes pass through
 * unchanged and are described by libuv itself. */
#include <string.h>

#include <stdarg.h>
#include <stdio.h>
#include <uv.h>

#include "base/error_text.h"
#include "sipc/errno.h"

/* libuv allocates (and never frees) a string for a code it does not know;
 * ask its buffer variant first so unknown codes cost nothing. */
static int uv_knows(int err)
{
    char buf[64];
    uv_err_name_r(err, buf, sizeof buf);
    return strncmp(buf, "Unknown system error", 20) != 0;
}

const char *sipc_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define XX(name, code, cls, msg) \
    case SIPC_##name:            \
        return msg;
        SIPC_ERRNO_MAP(XX)
#undef XX
    default:
        break;
    }
    if (err < 0 && err > -4096 && uv_knows(err))
        return uv_strerror(err);
    return "unknown error";
}

const char *sipc_err_name(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define XX(name, code, cls, msg) \
    case SIPC_##name:            \
        return "SIPC_" #name;
        SIPC_ERRNO_MAP(XX)
#undef XX
    default:
        break;
    }
    if (err < 0 && err > -4096 && uv_knows(err))
        return uv_err_name(err);
    return "UNKNOWN";
}

sipc_err_class sipc_err_classify(int err)
{
    switch (err) {
#define XX(name, code, cls, msg) \
    case SIPC_##name:            \
        return SIPC_CLASS_##cls;
        SIPC_ERRNO_MAP(XX)
#undef XX
    default:
        break;
    }
    return err < 0 ? SIPC_CLASS_IO : SIPC_CLASS_NONE;
}

const char *sipc_err_class_name(sipc_err_class cls)
{
    static const char *const names[] = {"none", "usage", "io", "tls", "auth", "protocol", "call"};
    if ((unsigned)cls < sizeof names / sizeof names[0])
        return names[cls];
    return "unknown";
}

void sipc__seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void sipc__adderr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    size_t n = strnlen(err, errlen);
    if (n + 1 >= errlen)
        return; /* full, or not terminated within errlen */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - n, fmt, ap);
    va_end(ap);
}
