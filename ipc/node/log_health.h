/* log_health.h - the health record of a node's log directory
 * (log_health.c), kept by its loggers (log.c). A slot is a directory's
 * record, -1 for none (its failures go untold; the lines are still held);
 * failing is the logger's own flag: its current day's file failed last. */
#ifndef SIPC_NODE_LOG_HEALTH_H
#define SIPC_NODE_LOG_HEALTH_H

#include <stdint.h>

#include "sipc/node.h"

/* Once, before any other call (the loggers' registry does it). */
void sipc__log_health_init(void);
/* dir's record, shared with the loggers open on it, or -1 (none left). */
int sipc__log_health_slot(const char *dir);
/* A file write failed with err (path: the file); lost lines were given up.
 * The first failure of the directory says so on stderr. */
void sipc__log_health_fail(int slot, int *failing, int err, uint64_t lost, const char *path,
                           int echo_stderr);
/* Lines given up while writes fail (no room left to hold them), and
 * failed writes of an earlier day's file (counted in the totals only: the
 * health tells of the current day's files). */
void sipc__log_health_tally(int slot, uint64_t failures, uint64_t lost);
/* A file write succeeded, or the logger closes (closing: it leaves slot;
 * gone, it fails no more). */
void sipc__log_health_ok(int slot, int *failing, int closing);
/* Loggers whose day's file is at its cap: capped added to them (1 a file
 * reached it, -1 a capped one is left for a new day's or closed), dropped
 * to the lines dropped. */
void sipc__log_health_cap(int slot, int capped, uint64_t dropped);
/* The record of slot (all zero for -1) with the cap of the logger asked; 0. */
int sipc__log_health_get(int slot, uint64_t file_cap, sipc_log_health *out);
/* One line to stderr, whatever the loggers do with theirs. */
void sipc__log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
