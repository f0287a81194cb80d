/* router.c - (service, method) -> handler. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8_text.h"
#include "ipc/internal.h"

/* Names are a few bytes long (at most SIPC_NAME_MAX): compared here rather
 * than by two calls into libc's memcmp, which is tuned for long inputs and
 * was 3 % of a server's CPU at 64 B x 32. Words, not bytes: a name of 4 to
 * 8 bytes is two 4-byte loads per side, the first and the last four bytes
 * (they overlap below 8), longer ones 8-byte words with the last one ending
 * at the name's end; nothing is read outside the n bytes. A byte loop took
 * about 4 instructions per byte of both names of the request, every time. */
static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline int same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (load64(a + i) != load64(b + i))
                return 0;
        return load64(a + n - 8) == load64(b + n - 8);
    }
    if (n >= 4)
        return ((load32(a) ^ load32(b)) | (load32(a + n - 4) ^ load32(b + n - 4))) == 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

const sipc_route *sipc__router_lookup(const sipc_router *r, const char *service, size_t sl,
                                     const char *method, size_t ml)
{
    for (int i = 0; i < r->n; i++) {
        const sipc_route *rt = &r->routes[i];
        if (rt->method_len == ml && rt->service_len == sl && same_bytes(rt->method, method, ml) &&
            same_bytes(rt->service, service, sl))
            return rt;
    }
    return NULL;
}

int sipc_router_add(sipc_router *r, const char *service, const char *method, sipc_handler_fn fn,
                    void *arg)
{
    if (!r || !service || !method || !fn || !sipc__names_ok(service, method) ||
        !sipc__utf8_printable(service) || !sipc__utf8_printable(method))
        return SIPC_EINVAL;
    for (int i = 0; i < r->n; i++) {
        if (!strcmp(r->routes[i].service, service) && !strcmp(r->routes[i].method, method)) {
            r->routes[i].fn = fn;
            r->routes[i].arg = arg;
            return 0;
        }
    }
    if (r->n == r->cap) {
        int ncap = r->cap ? r->cap * 2 : 8;
        sipc_route *nr = realloc(r->routes, (size_t)ncap * sizeof *nr);
        if (!nr)
            return SIPC_ENOMEM;
        r->routes = nr;
        r->cap = ncap;
    }
    sipc_route *rt = &r->routes[r->n];
    rt->service = strdup(service);
    rt->method = strdup(method);
    if (!rt->service || !rt->method) {
        free(rt->service);
        free(rt->method);
        return SIPC_ENOMEM;
    }
    rt->service_len = strlen(service);
    rt->method_len = strlen(method);
    rt->fn = fn;
    rt->arg = arg;
    r->n++;
    return 0;
}

int sipc_router_new(sipc_router **out)
{
    if (!out)
        return SIPC_EINVAL;
    sipc_router *r = calloc(1, sizeof *r);
    if (!r)
        return SIPC_ENOMEM;
    r->refs = 1;
    int e = sipc__sys_register(r);
    if (e) {
        sipc_router_free(r);
        return e;
    }
    *out = r;
    return 0;
}

const sipc_router *sipc__router_retain(const sipc_router *r)
{
    if (r)
        ((sipc_router *)r)->refs++;
    return r;
}

void sipc__router_release(const sipc_router *r)
{
    sipc_router_free((sipc_router *)r);
}

void sipc_router_free(sipc_router *r)
{
    if (!r || --r->refs > 0)
        return;
    for (int i = 0; i < r->n; i++) {
        free(r->routes[i].service);
        free(r->routes[i].method);
    }
    free(r->routes);
    free(r);
}
