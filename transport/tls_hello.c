/* tls_hello.c - see tls_hello.h. Reads only the first handshake record and
 * every length is checked against what remains before it is used. */
#include <stdio.h>
#include <string.h>

#include "sipc/errno.h"
#include "transport/tls_hello.h"

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static int take(reader *r, size_t n, const uint8_t **out)
{
    if (n > r->left)
        return -1;
    if (out)
        *out = r->p;
    r->p += n;
    r->left -= n;
    return 0;
}

static int u8(reader *r, unsigned *v)
{
    const uint8_t *p;
    if (take(r, 1, &p))
        return -1;
    *v = p[0];
    return 0;
}

static int u16(reader *r, unsigned *v)
{
    const uint8_t *p;
    if (take(r, 2, &p))
        return -1;
    *v = (unsigned)p[0] << 8 | p[1];
    return 0;
}

/* A length-prefixed block (prefix of n bytes) as a reader of its own. */
static int block(reader *r, int n, reader *sub)
{
    unsigned len = 0, b;
    for (int i = 0; i < n; i++) {
        if (u8(r, &b))
            return -1;
        len = len << 8 | b;
    }
    sub->p = r->p;
    sub->left = len;
    return take(r, len, NULL);
}

static const char *group_name(unsigned g)
{
    switch (g) {
    case 23:
        return "P-256";
    case 24:
        return "P-384";
    case 25:
        return "P-521";
    case 29:
        return "X25519";
    case 30:
        return "X448";
    case 256:
    case 257:
    case 258:
        return "ffdhe";
    default:
        return NULL;
    }
}

static void add_group(sipc_tls_hello_info *info, unsigned g)
{
    const char *name = group_name(g);
    char other[16];
    if (!name) {
        snprintf(other, sizeof other, "group %u", g);
        name = other;
    }
    if (strstr(info->groups, name))
        return;
    size_t n = strlen(info->groups);
    snprintf(info->groups + n, sizeof info->groups - n, "%s%s", n ? ", " : "", name);
}

static int read_extensions(reader *ext, sipc_tls_hello_info *info)
{
    while (ext->left > 0) {
        unsigned type;
        reader body;
        if (u16(ext, &type) || block(ext, 2, &body))
            return -1;
        if (type == 43) { /* supported_versions: replaces client_version */
            reader list;
            if (block(&body, 1, &list))
                return -1;
            info->offers_tls12 = 0;
            info->max_minor = 0;
            unsigned v;
            while (list.left >= 2 && u16(&list, &v) == 0) {
                if (v == 0x0303)
                    info->offers_tls12 = 1;
                if ((v >> 8) == 3 && (int)(v & 0xff) > info->max_minor)
                    info->max_minor = (int)(v & 0xff);
            }
        } else if (type == 10) { /* supported_groups */
            reader list;
            if (block(&body, 2, &list))
                return -1;
            info->has_groups = 1;
            unsigned g;
            while (list.left >= 2 && u16(&list, &g) == 0) {
                info->offers_p256 |= g == 23;
                info->offers_p384 |= g == 24;
                add_group(info, g);
            }
        }
    }
    return 0;
}

int sipc_tls_hello_parse(const uint8_t *data, size_t len, sipc_tls_hello_info *info)
{
    memset(info, 0, sizeof *info);
    reader rec = {data, len}, hs, body, skip;
    unsigned type, ver, msg;
    if (u8(&rec, &type) || type != 22 || u16(&rec, &ver) || (ver >> 8) != 3 ||
        block(&rec, 2, &hs))
        return SIPC_EPROTO;
    if (u8(&hs, &msg) || msg != 1 || block(&hs, 3, &body))
        return SIPC_EPROTO;
    unsigned client_version;
    if (u16(&body, &client_version) || take(&body, 32, NULL) || block(&body, 1, &skip) ||
        block(&body, 2, &skip) || block(&body, 1, &skip))
        return SIPC_EPROTO;
    info->max_minor = (client_version >> 8) == 3 ? (int)(client_version & 0xff) : 0;
    info->offers_tls12 = client_version >= 0x0303;
    if (body.left == 0)
        return 0; /* no extensions */
    reader ext;
    if (block(&body, 2, &ext) || read_extensions(&ext, info))
        return SIPC_EPROTO;
    return 0;
}
