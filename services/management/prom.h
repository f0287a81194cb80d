/* prom.h - the Prometheus text exposition format (version 0.0.4): metric
 * families with HELP and TYPE lines, samples with labels. Label values are
 * escaped as the format requires, so a peer's address or a reason text can
 * never break a line. */
#ifndef SIPC_SERVICES_PROM_H
#define SIPC_SERVICES_PROM_H

#include <stdio.h>

typedef enum { SIPC_PROM_COUNTER, SIPC_PROM_GAUGE } sipc_prom_type;

/* Writes "# HELP name help" and "# TYPE name type". name must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total by convention. */
void sipc_prom_family(FILE *out, const char *name, sipc_prom_type type, const char *help);
/* One sample: name{k1="v1",k2="v2"} value. labels is a NULL-terminated
 * list of key, value pairs (may be NULL). Integral values are printed
 * without a fraction. */
void sipc_prom_sample(FILE *out, const char *name, const char *const *labels, double value);

#endif
