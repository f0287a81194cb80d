/* crl_file.c - the CRL files of security/crl/, read and parsed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/pem.h"
#include "certs/tool/store.h"
#include "services/tlstool/tlstool.h"

/* data is PEM or DER; shown names it in the error. */
static int crl_file_parse(crl_file *f, const uint8_t *data, size_t len, const char *shown,
                          char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    size_t dl = 0;
    int r = sipc_pem_or_der(data, len, "X509 CRL", &f->der, &dl, err, errlen);
    f->len = (long)dl;
    if (r != 0 || sipc_crl_parse(&f->c, f->der, dl, err, errlen) != 0) {
        free(f->der);
        f->der = NULL;
        snprintf(err, errlen, "%s is not a CRL (PEM \"X509 CRL\" or DER)", shown);
        return -1;
    }
    sipc_time_str(f->c.this_update, f->this_update);
    if (f->c.next_update)
        sipc_time_str(f->c.next_update, f->next_update);
    else
        snprintf(f->next_update, sizeof f->next_update, "(none)");
    return 0;
}

int crl_file_read(crl_file *f, const char *path, const char *shown, char *err, size_t errlen)
{
    uint8_t *b;
    size_t n;
    memset(f, 0, sizeof *f);
    if (sipc_secret_file_read(path, &b, &n, MAX_FILE, err, errlen) != 0)
        return -1;
    int r = crl_file_parse(f, b, n, shown, err, errlen);
    free(b);
    return r;
}

typedef struct crl_walk {
    void (*fn)(const char *name, const crl_file *f, void *arg);
    void *arg;
    int count;
} crl_walk;

static int each_crl(const char *path, const char *name, const uint8_t *data, size_t len,
                    void *arg, char *err, size_t errlen)
{
    crl_walk *w = arg;
    crl_file f;
    char why[300];
    (void)err;
    (void)errlen;
    if (!data || crl_file_parse(&f, data, len, path, why, sizeof why) != 0)
        return 0;
    w->fn(name, &f, w->arg);
    free(f.der);
    w->count++;
    return 0;
}

int crl_dir_foreach(const char *home, void (*fn)(const char *name, const crl_file *f, void *arg),
                    void *arg, char *err, size_t errlen)
{
    crl_walk w = {fn, arg, 0};
    if (sipc_trust_home_files(home, "crl", sipc_trust_crl_names, each_crl, &w, err, errlen) < 0)
        return -1;
    return w.count;
}
