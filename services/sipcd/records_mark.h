/* records_mark.h - sipcd's trace of the records its data service committed:
 * HOME/state/records-mark holds the newest record's rowid (sipc_data_newest)
 * with the identity (device, inode) of the records.db it was read from, and
 * when. Saved every few seconds while it changes (never a file per write),
 * and at stop. At start, the same records.db holding less means committed,
 * acknowledged records are gone: a records.db-wal lost or damaged after a
 * crash (SQLite replays what it finds, silently). Another file (a repaired
 * or copied database) has another inode and is not compared. */
#ifndef SIPC_RECORDS_MARK_H
#define SIPC_RECORDS_MARK_H

#include <stdint.h>

typedef struct records_mark {
    int64_t saved;  /* the newest rid last written, -1 for none yet */
    char last_error[800];
} records_mark;

struct host;

/* At start, after the data service opened: compares the mark with the
 * database (a WARN in the data service's log when records are gone), then
 * saves the database's own. */
void records_mark_start(struct host *h);
/* Saves the mark when the newest record changed since the last save (a
 * WARN once per distinct problem when it cannot). */
void records_mark_save(struct host *h);

#endif
