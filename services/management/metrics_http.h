/* metrics_http.h - the optional HTTP endpoint ([metrics] address) that
 * serves GET /metrics to a Prometheus scraper, on libmicrohttpd.
 *
 * The endpoint runs on libmicrohttpd's own thread and never touches the
 * event loop: the loop publishes a fresh exposition text now and then
 * (sipc_metrics_http_publish) and the endpoint serves the latest one. Only
 * GET and HEAD of /metrics are answered; connections are capped and time out,
 * so a scraper-shaped flood costs bounded memory. */
#ifndef SIPC_SERVICES_METRICS_HTTP_H
#define SIPC_SERVICES_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipc_metrics_http sipc_metrics_http;

/* Listens on host:port (port 0: any free port, see _port). 0 or a negative
 * SIPC_* code with the reason in err. */
int sipc_metrics_http_start(sipc_metrics_http **out, const char *host, int port, char *err,
                            size_t errlen);
int sipc_metrics_http_port(const sipc_metrics_http *h);
/* Replaces the text served (copied). Thread-safe. 0 or SIPC_ENOMEM. */
int sipc_metrics_http_publish(sipc_metrics_http *h, const char *text, size_t len);
/* What the sweep counts, since the start, with the limits they are counted
 * against, so that words about the counts name the limits in force. */
typedef struct {
    uint64_t refused;         /* connections refused because their host held
                                 per_host already */
    uint64_t overdue;         /* closed for not sending a whole request within
                                 deadline_ms */
    unsigned max_connections; /* the endpoint's connections at most */
    unsigned per_host;        /* of those, from one host (an IPv6 /64 is one) */
    unsigned deadline_ms;     /* for a request's headers, from the connection's
                                 start or its previous answer */
} sipc_metrics_http_counts;

/* Closes the connections whose request has not come whole within
 * deadline_ms of their start or of their previous answer (libmicrohttpd's
 * own timeouts count idle time, which a request sent a byte at a time never
 * leaves); call it about once a second, from any thread. Fills *c. */
void sipc_metrics_http_sweep(sipc_metrics_http *h, sipc_metrics_http_counts *c);
/* The line sipcd logs when hosts were held off, into out (cut to fit, as
 * snprintf): the counts of `since` (those since the last such line), the
 * limits it carries, and the endpoint's `address`. */
void sipc_metrics_http_held_text(char *out, size_t outlen, const char *address,
                                 const sipc_metrics_http_counts *since);
/* Stops listening, waits for the endpoint's thread, frees. */
void sipc_metrics_http_stop(sipc_metrics_http *h);

#endif
