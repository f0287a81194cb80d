/* log_internal.h - the node logger's buffering, for its tests. */
#ifndef SIPC_NODE_LOG_INTERNAL_H
#define SIPC_NODE_LOG_INTERNAL_H

#include <stdint.h>

#include "sipc/node.h"

/* A line comes out at once unless the logger wrote less than this long ago;
 * then it is held, with those that follow, at most this long ... */
#define SIPC__LOG_FLUSH_MS 10
/* ... or until this many bytes are held (WARN and ERROR lines at once). */
#define SIPC__LOG_FLUSH_BYTES 16384

/* How long (ms) an earlier day's file may keep failing before the lines
 * held for it are given up (counted lost, stderr names the file): 5
 * minutes; tests shorten it. */
extern unsigned sipc__log_old_day_ms;

/* Times a logged line woke the background thread that writes held lines. */
uint64_t sipc__log_wakes(void);

/* write(2) calls the logger has made so far. */
uint64_t sipc__logger_writes(sipc_logger *lg);

#endif
