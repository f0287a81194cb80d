/* data_service_impl.h - what the data service's files share: the sipc_data
 * object (write queue, reader pool, job count), the helpers that answer
 * requests, and the handlers each file adds to the router. Not installed;
 * data_service.h is the interface. */
#ifndef SIPC_DATA_SERVICE_IMPL_H
#define SIPC_DATA_SERVICE_IMPL_H

#include "data_service.h"
#include "data_store.h"

struct wop;
struct rjob;

/* a set-aside -wal's or -shm's new name, or why it could not be set aside */
#define SET_ASIDE_LEN 1100

/* A flapping disk (some transactions commit, some do not) must not write a
 * line per transaction: the failing state ends only with a success at least
 * HEALTH_QUIET_MS (quiet_ms's default) after the last failure, and while it
 * lasts a reminder is written at most every HEALTH_REMIND_MS. */
#define HEALTH_QUIET_MS 10000
#define HEALTH_REMIND_MS 60000

/* The start-up check's time: the whole file of a database up to a few GB
 * (docs/services.md), the start of a larger one. */
#define DATA_CHECK_MS 2000

/* The names the database uses (data_dir.c says why each is checked). */
#define DB_FILES_N 4
extern const char *const data_db_files[DB_FILES_N];

/* At start (sipc_data_open): what data_check_db_dir did about a leftover log
 * beside a missing or empty records.db, before any file is claimed or made
 * (SQLite would replay that -wal into a new file made over a claimed name,
 * and delete it beside a missing or empty one). */
typedef struct db_start {
    int tried;        /* records.db was missing or empty, a -wal or -shm there */
    int wal_kept;     /* its -wal could not be set aside: nothing is made */
    char set_aside[2][SET_ASIDE_LEN];
} db_start;

/* What the loop needs of the database's file system, gathered on the
 * thread pool (statvfs, access and stat block on a hung NFS mount, and the
 * loop serves every service of the node): by the job that saw a write
 * fail, by the look while writes fail, by the open and reopen jobs. */
typedef struct data_fs_facts {
    int ro;         /* a read-only mount, or the kernel's read-only state */
    int emergency;  /* the kernel's (EROFS on a mount not read-only) */
    uint64_t avail; /* bytes free for the database; UINT64_MAX: cannot tell */
    /* records.db's and its -wal's bytes left under the process's file
     * size limit; UINT64_MAX: no limit */
    uint64_t fsize_room[2];
} data_fs_facts;

/* What data_storage_outcome said last about writes or reads. */
typedef struct data_health {
    int failing;       /* an ERROR was said, and no success came quiet_ms
                          after the last failure */
    uint64_t failures; /* requests failed since */
    uint64_t since_ms, last_ms, said_ms; /* first and last failure, last line (uv_now) */
    int64_t since_wall_ms, last_wall_ms;  /* the same on the wall clock, for the status */
    int last_rc;       /* the latest failure's code (UV_ENOSPC, UV_EFBIG, ...) */
    uint64_t avail_at_fail; /* bytes free for the database when it last failed on a full disk */
    uint64_t room_at_fail[2]; /* fsize_room when it last failed at the file size limit */
    uint64_t total;    /* requests failed since open */
    char last_err[1024];
} data_health;

struct sipc_data {
    uv_loop_t *loop;
    char *db_path;
    sipc_data_options o;
    data_store *writer;
    /* reader pool */
    uv_mutex_t mu;
    uv_cond_t cv;
    data_store **idle;
    unsigned nidle, nopen;
    /* write queue and the one write job */
    struct wop *qhead, **qtail;
    size_t qbytes;
    int writing;
    uv_work_t wwork;
    struct wop *wops;
    /* how long writes wait (sipc_data_waiting): the requests queued and
     * when the first of them came (uv_now), and the same of the running
     * write job's (taken from the queue), kept until it is answered. One
     * time taken per job and a count per request beside qbytes: nothing
     * the write path would feel */
    uint64_t qcount, qsince_ms;
    uint64_t wcount, wsince_ms;
    size_t wbytes;
    /* read jobs (get, list, search): at most reads_max on the thread pool
     * at once, one fewer than its threads, so that the write job never
     * waits behind reads (libuv runs jobs in order); the others wait in
     * rwait, in order. searches: the search jobs not yet called back, for
     * sipc_data_search_cancel (loop thread) */
    struct rjob *rwait, **rwait_tail, *searches;
    unsigned reads, reads_max;
    /* ends the searches that are cancelled or reach their deadline while in
     * rwait (data_reads.c), due at rwait_due_ns (uv_hrtime) when active */
    uv_timer_t rwait_timer;
    uint64_t rwait_due_ns;
    /* jobs on the thread pool, the write job included, and read jobs
     * waiting for their turn */
    unsigned jobs;
    int closing, finalizing;
    uv_work_t fwork;
    void (*close_cb)(void *);
    void *close_arg;
    /* storage health, per kind (DATA_WRITES, DATA_READS), loop thread */
    data_health health[2];
    /* while writes fail: probes them once nothing was written for a while */
    uv_timer_t probe_timer;
    int probing; /* a probe is queued or running */
    int writer_ro; /* SQLite opened the file read-only (set at open) */
    int damaged;   /* a statement found the file damaged: writes are refused */
    /* why every write fails (read-only, damaged), with what to do: the
     * status's reason for writes (loop thread); "" otherwise */
    char writes_err[1024];
    /* the damage verdict's reason (writes_err when it was found): put back
     * when records.db names the open file again after it was gone */
    char damaged_err[1024];
    /* The database's files as last seen (stat, statvfs: nothing opened), to
     * tell when they changed: what makes an open worth trying again. */
    struct data_files_sig {
        unsigned long long v[32];
    } sig, sig_new;
    /* the files looked at on the thread pool, never the loop (lstat,
     * statvfs, access can block on a hung NFS mount): one look at a time,
     * for the watch while not open, or (look_probe) for the probe, whether
     * a writer opened read-only can write again */
    uv_work_t swork;
    int looking, look_probe;
    /* the look while open also gathers the file system's facts while
     * writes fail (look_fs_wanted), for the probe (worth_probing):
     * look_fs_new is the job's, look_fs the last one handed over, from a
     * look started at look_fs_ms (uv_now; 0: none yet) */
    int look_fs_wanted;
    uint64_t look_started_ms, look_fs_ms;
    data_fs_facts look_fs_new, look_fs;
    /* the write job's, when a write failed on what the file system may
     * cause (EROFS, EIO, ENOSPC): the facts right after the failure */
    int job_fs_valid;
    data_fs_facts job_fs;
    int look_writable;    /* the probe's look: the file system and file look writable */
    struct data_files_sig look_sig, osig; /* the look's; the reopen job's, after it */
    int oro;              /* the reopen job's: the file system looked read-only */
    /* what data_finish_open says and keeps of the files of a writer just put in
     * place, gathered by the job that opened it (never the loop): the file
     * system's facts, the file opened (its identity), the files' signature */
    struct data_open_facts {
        data_fs_facts fs;
        int have_id;
        unsigned long long dev, ino;
        char id_err[160]; /* without have_id: why */
        struct data_files_sig sig;
    } ofacts;
    int reopen_running;   /* the writer's reopen is queued or running (loop thread) */
    uint64_t sig_new_ms;  /* when sig_new was first seen (uv_now) */
    int sig_pending;      /* sig_new differs from sig: waiting for it to settle */
    /* retry_open: the database could not be opened; every call is refused
     * with open_err until an open job (on the thread pool) succeeds */
    int unopened;
    int opening;          /* an open job is queued or running */
    int open_rc;
    char open_err[1024];  /* what a refused call gets: "records.db is not open (since T): " and
                             open_reason */
    char open_reason[960]; /* the latest reason, with what to do */
    int64_t open_since_wall_ms, open_last_wall_ms;
    uint64_t open_attempts;
    uint64_t open_said_ms; /* the latest line about it (uv_now) */
    /* the timer's attempts that failed as the last one said (its reason,
     * when said, uv_now), not said again: at most every
     * DATA_RETRY_SAY_MS, or when the reason changes */
    char retry_said[960];
    uint64_t retry_said_ms, retry_unsaid;
    char *dir;            /* as given to sipc_data_open, checked again at each attempt */
    /* the directory it resolved to at sipc_data_open: a later open takes
     * no other (an unmounted disk's bare mount point, a directory made
     * again, a link re-pointed need a restart) */
    unsigned long long dir_dev, dir_ino;
    /* no database was found at sipc_data_open (records.db missing or empty)
     * and none has been opened since: an attempt may make records.db, as
     * that start would have, in the directory the node started with. Once
     * one opens, or an attempt finds a records.db with content (put there
     * by someone), nothing is made any more: a file moved aside later must
     * not turn into a new empty database. Written at sipc_data_open and by
     * the open job (data_open_after on success), never at the same time. */
    int may_create;
    /* set under mu while not open: no reader connection is opened (one
     * would stay on the file the writer no longer has) */
    int readers_off;
    /* an open (at start, a later attempt, the writer's reopen) failed on a
     * cause no file may show (a lock, an I/O error, a full disk): attempts
     * are made every retry_gap_ms too, not only on a change of the files */
    int retry_timed;
    uint64_t retry_gap_ms, open_tried_ms;
    int otimed;           /* the attempt running (or last run) was the timer's */
    int ofile_cause;      /* the open job refused what the files show (records.db
                             missing, the same damaged file, a stale -wal): only a
                             change of them can help */
    uv_timer_t watch_timer; /* while not open: looks at the files */
    uv_work_t owork;
    data_store *owriter;  /* the open job's result */
    sipc_data_mark omark;
    int owhole;
    int ocreate;          /* the open job made records.db (none was there at start) */
    char *opath;          /* the open job's records.db, when the directory now
                             resolves elsewhere (re-pointed, made again) */
    int orc;              /* the open (or reopen) job's outcome, and why */
    char oerr[1024];
    char ometa_err[300];
    unsigned long long ofile; /* the inode of the file the reopen job found */
    /* the file an open found damaged (this run): a later attempt does not
     * open it again while it is that same file, unchanged (its check could
     * stop before the damage, and writes would go into it). Written by the
     * open and reopen jobs and at sipc_data_open, never at the same time. */
    struct data_bad_file {
        int known;
        unsigned long long dev, ino, size, mtime;
        int64_t wall_ms;
    } bad;
    /* the records.db-wal beside the file that could not be opened (or that
     * the writer had open), and that file: SQLite replays any -wal beside
     * the file it opens, so another records.db put in place beside this
     * very -wal is not opened (stat/lstat only: see data_on_read_only_fs).
     * exact: its size and time must be unchanged too (nothing had it open
     * since). Written as bad is. */
    struct data_old_wal {
        int known, exact;
        unsigned long long db_dev, db_ino, dev, ino, size, mtime;
    } oldwal;
    int oreplaced;        /* the reopen found another records.db than the one opened */
    /* the writer was opened read-only and the file system (or file) looks
     * writable now: the next write job opens it again first */
    int reopen_wanted;
    int reopening;        /* the reopen runs: readers are not lent meanwhile */
    int reopen_tried;     /* since the writer was opened read-only */
    /* While open: records.db no longer names the file the writer has open
     * (DATA_GONE_MISSING: removed or moved away; DATA_GONE_OTHER: another
     * file put there), as the watch's look (look_gone) last saw it against
     * the file opened (open_dev, open_ino). Writes are refused meanwhile
     * (they would go into a file no name leads to), reads are served by the
     * connections already open on it, none is opened by the name. */
    int gone, look_gone;
    /* the look could not tell (stat failed otherwise than ENOENT/ENOTDIR:
     * EACCES, EIO, ESTALE, ELOOP): look_gone DATA_GONE_UNKNOWN, its errno,
     * and when that was last said (uv_now; said once a minute at most) */
    int look_errno;
    uint64_t look_unknown_said_ms;
    /* the read connections when the look first found it gone, after it
     * closed the idle ones on the file the name leads to: idle ones kept
     * (on the open file), and lent out (on either). Written by the look's
     * job, read by the loop after it */
    unsigned gone_kept, gone_lent;
    unsigned long long open_dev, open_ino;
    /* open_dev and open_ino could not be taken at the open (open_id_err
     * says why): whether records.db names the open file cannot be told, so
     * a file found there is DATA_GONE_NOID until a restart */
    int open_no_id;
    char open_id_err[160];
    /* the copy of the open file written beside it while gone (VACUUM INTO a
     * new name): wanted, then run as a write job (it owns the writer) */
    int rescue_wanted, rescued, rescue_rc;
    /* mark.writes when the copy was made: a copy is whole only while no
     * commit came after it (data_rescue_whole) */
    int64_t rescue_writes;
    char rescue_path[1024];
    char rescue_err[400];
    /* the copy job's own outcome (data_rescue_work, on the thread pool), handed
     * over to the rescue_* fields above in rescue_after on the loop thread,
     * which reads them meanwhile (data_gone_reason) */
    int rj_rc;
    int64_t rj_writes;
    char rj_path[1024];
    char rj_err[400];
    /* a copy that failed (a full disk) is tried again while records.db is
     * gone, rescue_gap_ms after the last failure (rescue_failed_ms, uv_now),
     * the gap doubling up to 16 retry_ms; rescuing: a copy job queued or
     * running; rescue_said_rc: the failure last logged (a retry failing
     * with the same error is not logged again: its text names a new file
     * each time) */
    int rescuing, rescue_said_rc;
    uint64_t rescue_failed_ms, rescue_gap_ms;
    /* at start: no records.db (or an empty one) was there, and one was
     * made, at sipc_data_open or by a later attempt; the -wal/-shm left
     * beside it, set aside first (their new names, "" for none) */
    int made_new;
    char set_aside[2][SET_ASIDE_LEN];
    sipc_data_mark mark;  /* the database's identity and counters, as committed */
    int64_t job_created;  /* the write job's, after its commit */
    int job_changed;
    /* found gone, and the stop's own look found records.db naming the open
     * file again (fin_work): said at the stop's end */
    int stop_back;
    int close_rc;       /* the checkpoint at close (fin_work) */
    char close_err[256];
};

enum { DATA_WRITES, DATA_READS };
enum { DATA_GONE_UNKNOWN = -1, DATA_GONE_MISSING = 1, DATA_GONE_OTHER = 2, DATA_GONE_NOID = 3 };

/* Loop thread, from the write queue when no write job runs: with
 * rescue_wanted, starts the job that writes the copy of the open file and
 * returns 1; 0 otherwise. */
int data_rescue_start(sipc_data *d);

/* Thread pool (or before the loop runs): the file system's facts for the
 * database at db_path. */
void data_fs_facts_get(const char *db_path, data_fs_facts *f);

/* Loop thread: the outcome of one request's storage work (rc 0 or negative,
 * err its reason) for the health log (options.log) and the status; probe:
 * the work was data_probe_writes', not a request's (not counted); fs: the
 * file system's facts the job gathered after the failure, or NULL. */
void data_storage_outcome(sipc_data *d, int kind, int rc, const char *err, int probe,
                          const data_fs_facts *fs);
/* Loop thread: writes fail from now on whatever is tried (the file is
 * read-only, or damaged), with why as the reason: the failing state starts
 * (said once at ERROR) without counting a failed request. */
void data_storage_unusable(sipc_data *d, int rc, const char *why);
/* How a damaged database is repaired, for the reasons that name one. */
/* What to do about a database on a file system that refuses writes. */
#define DATA_READONLY_FS_HINT                                                                  \
    "read-only file system: remount it read-write (after fsck if the kernel made it read-only " \
    "after an error): writes resume without a restart"
/* The kernel's emergency read-only state (EROFS, the mount not read-only):
 * its fsck needs the file system unmounted, which the files the node holds
 * open prevent. */
#define DATA_EMERGENCY_RO_HINT                                                                 \
    "read-only file system (the kernel's, after an error; not a read-only mount): stop the "    \
    "node to unmount and fsck it, then start it again"
#define DATA_REPAIR_HINT \
    "stop the node and repair the database (docs/services.md, \"A full or damaged database\")"
/* Loop thread: queues a write of the health probe's row, unless one is
 * queued or running already (data_writes.c). */
void data_probe_writes(sipc_data *d);
/* Loop thread: answers STORAGE with why the database is not open and
 * returns 1 while it is not (retry_open); kind: DATA_WRITES or DATA_READS,
 * whose health counts the refusal. */
int data_refuse_unopened(sipc_data *d, int kind, sipc_request *req);
/* Loop thread, from the write queue when no write job runs: with
 * reopen_wanted, starts the job that opens the writer again and returns 1
 * (the queued writes wait for it); 0 otherwise. */
int data_reopen_writer(sipc_data *d);
/* Loop thread: starts the write job when none runs and something waits
 * (data_writes.c); while there is no writer, answers what waits instead. */
void data_kick_writer(sipc_data *d);
/* Loop thread: answers every queued write STORAGE with why the database is
 * not open (open_err) and drops it. */
void data_fail_queued(sipc_data *d);
/* The same with the reason given (none of them was run). */
void data_fail_queued_why(sipc_data *d, const char *why);


/* The status a client sees for a negative code from validation or storage. */
int data_status_of(int rc);

/* How many read jobs may run at once (data_reads.c): fewer than libuv's
 * pool has threads, at most opts.readers, at least 1. */
unsigned data_reads_max(const sipc_data_options *o);

/* Loop thread: the read jobs' timer, made at sipc_data_open and closed at
 * sipc_data_close (the close waits for it, as for a job). */
void data_reads_init(sipc_data *d);
void data_reads_close(sipc_data *d);

/* Thread pool: borrows a read connection (opened on demand, at most
 * opts.readers; waits when all are lent), or NULL with *rc and err set. */
data_store *data_reader_get(sipc_data *d, int *rc, char *err, size_t errlen);
void data_reader_put(sipc_data *d, data_store *s);

/* Loop thread: packs m and answers req with it. */
void data_respond_msg(sipc_request *req, const ProtobufCMessage *m);
/* Loop thread, first thing in a handler: req's payload unpacked as a desc
 * message (in *holds what the request holds until it is answered: its
 * payload and the heap of its decoded copy, what max_queue counts), or NULL
 * once req has its answer:
 * CLOSING after sipc_data_close, STORAGE while the database is not open
 * (data_refuse_unopened, kind as there), BAD_REQUEST for a payload that is
 * no such message, TOO_LARGE for one that would decode past its budget
 * (pb_budget.h: the limits' records and attributes). Free the result with
 * its own free_unpacked (NULL allocator). */
ProtobufCMessage *data_request_unpack(sipc_data *d, int kind, sipc_request *req,
                                      const ProtobufCMessageDescriptor *desc, size_t *holds);
/* Loop thread, after a job ended: once closing and idle, closes the
 * database and frees d. */
void data_maybe_finish(sipc_data *d);

/* Shared between the data service's files; each is described where it is
 * defined. data_health.c: */
void data_keep_reason(char *dst, size_t len, const char *err); /* ASCII only if not UTF-8 */
uint64_t data_avail_bytes(const char *db_path); /* bytes free, UINT64_MAX unknown */
const char *data_fs_hint(const data_fs_facts *f); /* what to do about a read-only one */
void data_on_probe_timer(uv_timer_t *t); /* the probe's timer: maybe a test write */
/* data_dir.c: */
/* mkdir -p, 0700: 0, or a negative errno (libuv code) when one cannot be made. */
int data_make_dirs(const char *dir, char *err, size_t errlen);
void data_leftover_wal_reason(const char *db_path, const char *why, char *err,
                              size_t errlen); /* why nothing is made over a -wal */
int data_leftover_wal(const char *path); /* a -wal beside a missing or empty file */
int data_check_db_dir(const char *dir, char **resolved, db_start *start, char *err,
                      size_t errlen); /* the directory and files checked, at start */
void data_set_aside_logs(sipc_data *d, const char *tag, int own); /* into d->set_aside */
/* data_open.c: */
int data_on_read_only_fs(const char *path); /* read-only mount or kernel state */
const char *data_read_only_hint(const char *path); /* what to do about one */
void data_explain_open_failure(const char *path, int rc, int retry, int fresh, char *err,
                               size_t errlen); /* what the operator can do */
int data_open_retriable(int rc); /* the service stays up and tries again */
int data_open_db(const char *path, data_store_role role, sipc_data_sync sync,
                 data_store **writer, sipc_data_mark *mark, int *whole, char *meta_err,
                 size_t meta_len, char *err, size_t errlen); /* writer opened, file checked */
void data_files_sig(const sipc_data *d, const char *db_path,
                    struct data_files_sig *sig); /* the files as seen, nothing opened */
void data_probe_looked(sipc_data *d); /* after the probe's look */
void data_open_facts_get(sipc_data *d, const char *db_path, data_store *writer,
                         struct data_open_facts *f); /* what data_finish_open needs */
void data_finish_open(sipc_data *d, int whole, const char *meta_err,
                      const struct data_open_facts *f); /* a writer is in place */
void data_set_retry_timed(sipc_data *d, int rc, int file_cause); /* attempts timed or not */
void data_enter_unopened(sipc_data *d, int rc, const char *err); /* an open failed */
void data_remember_damaged(sipc_data *d, const char *path); /* path found damaged */
int data_still_damaged(const sipc_data *d, const char *path, char *err,
                       size_t errlen); /* the same damaged file, unchanged */
void data_remember_wal(sipc_data *d, const char *path, int exact); /* the -wal's identity */
int data_stale_wal(const sipc_data *d, const char *path, char *err,
                   size_t errlen); /* another file's -wal */
void data_open_work(uv_work_t *w); /* the open job */
void data_open_after(uv_work_t *w, int status); /* its completion, on the loop */
/* data_gone.c: */
void data_on_watch_timer(uv_timer_t *t); /* while unopened: a look at the files */
int data_rescue_whole(const sipc_data *d); /* the copy holds every committed record */
void data_gone_reason(sipc_data *d); /* the reason writes get while gone */
void data_rescue_work(uv_work_t *w); /* the copy job */
void data_rescue_take(sipc_data *d); /* the copy job's outcome, handed over */
int data_name_look(const sipc_data *d, int *eno); /* records.db names the open file? */
void data_start_look(sipc_data *d, int probe); /* one look at a time */

/* Handlers (arg: the sipc_data). data_writes.c: */
void data_h_put(sipc_request *req, void *arg);
void data_h_put_batch(sipc_request *req, void *arg);
void data_h_delete(sipc_request *req, void *arg);
/* data_reads.c (also sipc_data_search): */
void data_h_get(sipc_request *req, void *arg);
void data_h_list(sipc_request *req, void *arg);

#endif
