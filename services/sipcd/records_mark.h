/* records_mark.h - what sipcd keeps of its database outside it, in state/:
 * - records-mark: the database's identity and counters (sipc_data_mark:
 *   a random instance made with the database, the records ever created and
 *   the committed writes, all kept inside it and updated with every write),
 *   and when. Saved every few seconds while they change (never a file per
 *   write), and at stop once the queued writes are in. At start, the same
 *   instance with lower counts means committed, acknowledged changes are
 *   gone: a records.db-wal lost or damaged after a crash (SQLite replays
 *   what it finds, silently), or an older copy of the file put back. A
 *   repaired or new database has another instance and is not compared.
 *   A start that finds no records.db (or an empty one) makes a new
 *   database: when the mark names a database that had records (or a
 *   records.db-wal was left), that is a finding too, never silent.
 * - records-lost: each such finding, one line, kept until the operator
 *   acknowledges it (`sipcctl ack records-lost`, records_lost_ack) or
 *   removes the file (or the line), so that the status shows it after the
 *   start that found it: the mark is saved with the lower counts then, and
 *   no later start can tell the lost records from new ones.
 * - records-damaged: the data service's verdict that records.db is damaged,
 *   with its instance, so that a restart whose start-up check does not
 *   reach the damage keeps refusing writes into the same file. */
#ifndef SIPC_RECORDS_MARK_H
#define SIPC_RECORDS_MARK_H

#include <jansson.h>
#include <stdint.h>

#include "data_service.h"

typedef struct records_mark {
    sipc_data_mark saved; /* the counters last written, instance 0 for none */
    char last_error[800];
    /* a finding of lost records the start could not keep in state/records-lost:
     * the mark is not saved (with its lower counts it would hide the loss from
     * the next start) until a retry keeps it */
    int lost_pending;
    char lost_line[1400]; /* the finding's line, after "detected TIME" */
    /* the damage verdict that could not be written to state/records-damaged:
     * tried again with the mark, so that it is kept (a restart must not take
     * writes into the file) and the state/ failure it began ends */
    int damaged_pending;
    char damaged_line[600];
} records_mark;

struct host;

/* At start, after the data service opened: with a damage verdict on this
 * database, refuses its writes (a WARN saying why and how to clear it); a
 * verdict on another one is removed. Then compares the mark with the
 * database (a WARN in the data service's log when changes are gone), and
 * saves the database's own. */
void records_mark_start(struct host *h);
/* Saves a damage verdict not yet written, then the mark when the counters
 * changed since the last save (a WARN once per distinct problem when it
 * cannot). */
void records_mark_save(struct host *h);
/* The data service's damaged_cb (arg: the host): saves the verdict (kept
 * and tried again by records_mark_save when it cannot). */
void records_damaged_save(const char *reason, void *arg);
/* The findings of HOME/state/records-lost, as the status's
 * storage.records_lost: each {"detected", "committed_by", "records_gone",
 * "writes_gone", "records_committed", "records_found", "message", "line"}
 * (a line that cannot be read: "message" and "line"; one cut: "cut" too; a
 * file that cannot be shown finding by finding: one entry, "message"
 * alone). Read at every call, so that the
 * operator's removal of the file acknowledges them at once. A new array,
 * empty when there is none; NULL when out of memory. */
json_t *records_lost_json(const char *home);
/* Acknowledges findings of HOME/state/records-lost: removes exactly the
 * lines named in lines (an array of strings, each a finding's "line" as
 * records_lost_json gives it), the file when no line is left; a line not
 * named stays as it is (a finding added since the caller was shown the
 * list). *out: {"removed", "kept", "gone"}, the lines removed, those left,
 * and those named that were not there (acknowledged already). 0, or a
 * negative SIPC (or libuv) code with err saying why, nothing removed: the
 * file cannot be shown finding by finding (read as records_lost_json reads
 * it: a link, not a file, larger than sipcd writes it) or replaced or
 * removed. Loop thread only, as lost_note is: the two do not
 * interleave. */
int records_lost_ack(const char *home, const json_t *lines, json_t **out, char *err,
                     size_t errlen);

#endif
