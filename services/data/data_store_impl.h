/* data_store_impl.h - what data_store.c and data_store_search.c share: the
 * store itself and the two helpers every statement goes through. Not
 * installed; data_store.h is the interface. */
#ifndef SIPC_DATA_STORE_IMPL_H
#define SIPC_DATA_STORE_IMPL_H

#include <stddef.h>

#include <sqlite3.h>

#include "data_store.h"

struct data_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *find, *insert, *update, *del, *get, *attrs, *list;
    sqlite3_stmt *count; /* store_meta's counters, once the table is there */
    char *json; /* scratch for a record's attributes as JSON */
    size_t jcap;
    /* the file a writer opened (data_store_identity): id_rc 0, or why it is
     * not known (id_err) */
    int id_rc;
    unsigned long long dev, ino;
    char id_err[160];
};

/* rc, an SQLite failure of what, into err with the store's path and the
 * system's errno where SQLite's words do not say it (the file size limit
 * named with its fix); returns the code the failure maps to. */
int data_store__fail(data_store *s, int rc, const char *what, char *err, size_t errlen);
/* Resets and clears the bindings of st, ready for its next use. */
void data_store__done(sqlite3_stmt *st);

#endif
