/* host_services.h - what host_start takes from host_services.c (each
 * service's wiring) and records_ack.c; sipcd's own, not installed. */
#ifndef SIPCD_HOST_SERVICES_H
#define SIPCD_HOST_SERVICES_H

#include <jansson.h>

#include "host.h"
#include "management_service.h"

/* The options of every context of this node: its configuration, a
 * service's log, and its [node] address as the source of every connection
 * it dials. */
void host_node_options(host *h, sipc_options *o, sipc_logger *log);
/* What service i serves on its router (the management channel, the
 * pipeline and the search are opened here): 0 or an exit code, logged. */
int host_register_handlers(host *h, int i);
/* The links the search and pipeline keep to the other nodes, for the
 * management status (sipc_mgmt_add_links; arg: the host). */
void host_service_links(void *arg, sipc_mgmt_emit_fn emit, void *emit_arg);
/* records_ack.c: management.ack (arg: the host): "records-lost" removes
 * the findings named, asked over TLS only; logged in the data service's
 * log. */
json_t *host_records_ack(void *arg, const char *what, const json_t *lines, const char *caller,
                         int tls);

#endif
