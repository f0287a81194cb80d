/* log_line.h - the one writer of sipc's log line format
 *   2026-11-23T13:35:01 Service.Start INFO TLS Port: 23000
 * shared by a context's default stderr sink and the node's log files. */
#ifndef SIPC_BASE_LOG_LINE_H
#define SIPC_BASE_LOG_LINE_H

#include <stdio.h>
#include <time.h>

/* Writes one record stamped with local time now. Control characters in
 * category or msg (a newline in a peer's error message, say) become spaces,
 * so nothing can forge or split a line. */
void sipc__log_line(FILE *fp, time_t now, const char *category, const char *level,
                    const char *msg);

#endif
