/* crl_file.c - the CRL files of security/crl/, read and parsed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/pem.h"
#include "certs/tool/store.h"
#include "services/tlstool/tlstool.h"

int crl_file_read(crl_file *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    uint8_t *b;
    size_t n;
    if (sipc_store_read(path, &b, &n, MAX_FILE, err, errlen) != 0)
        return -1;
    f->len = sipc_pem_or_der(b, n, "X509 CRL", &f->der);
    free(b);
    if (f->len <= 0 || sipc_crl_parse(&f->c, f->der, (size_t)f->len, err, errlen) != 0) {
        free(f->der);
        f->der = NULL;
        snprintf(err, errlen, "%s is not a CRL (PEM \"X509 CRL\" or DER)", path);
        return -1;
    }
    sipc_time_str(f->c.this_update, f->this_update);
    if (f->c.next_update)
        sipc_time_str(f->c.next_update, f->next_update);
    else
        snprintf(f->next_update, sizeof f->next_update, "(none)");
    return 0;
}

int crl_dir_foreach(const char *home, void (*fn)(const char *name, const crl_file *f, void *arg),
                    void *arg)
{
    char dir[1100], path[1400], err[300];
    snprintf(dir, sizeof dir, "%s/security/crl", home);
    DIR *d = opendir(dir);
    struct dirent *de;
    int count = 0;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        crl_file f;
        if (crl_file_read(&f, path, err, sizeof err) != 0)
            continue;
        fn(de->d_name, &f, arg);
        free(f.der);
        count++;
    }
    if (d)
        closedir(d);
    return count;
}
