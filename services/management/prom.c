/* prom.c - see prom.h. */
#include <math.h>

#include "prom.h"

static void put_label_value(FILE *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            fputs("\\\\", out);
        else if (*v == '"')
            fputs("\\\"", out);
        else if (*v == '\n')
            fputs("\\n", out);
        else
            fputc(*v, out);
    }
}

static void put_help(FILE *out, const char *help)
{
    for (; *help; help++) {
        if (*help == '\\')
            fputs("\\\\", out);
        else if (*help == '\n')
            fputs("\\n", out);
        else
            fputc(*help, out);
    }
}

void sipc_prom_family(FILE *out, const char *name, sipc_prom_type type, const char *help)
{
    fprintf(out, "# HELP %s ", name);
    put_help(out, help);
    fprintf(out, "\n# TYPE %s %s\n", name, type == SIPC_PROM_COUNTER ? "counter" : "gauge");
}

void sipc_prom_sample(FILE *out, const char *name, const char *const *labels, double value)
{
    fputs(name, out);
    if (labels && labels[0]) {
        fputc('{', out);
        for (int i = 0; labels[i] && labels[i + 1]; i += 2) {
            fprintf(out, "%s%s=\"", i ? "," : "", labels[i]);
            put_label_value(out, labels[i + 1]);
            fputc('"', out);
        }
        fputc('}', out);
    }
    if (isnan(value))
        fputs(" NaN\n", out);
    else if (isinf(value))
        fputs(value > 0 ? " +Inf\n" : " -Inf\n", out);
    else if (value == floor(value) && fabs(value) < 9007199254740992.0)
        fprintf(out, " %.0f\n", value);
    else
        fprintf(out, " %.17g\n", value);
}
