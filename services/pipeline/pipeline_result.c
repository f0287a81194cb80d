/* pipeline_result.c - reading one record's result of an answer, in the
 * library of the pipeline's messages so a producer has it without the
 * service. */
#include "pipeline.pb-c.h"
#include "pipeline_service.h"

const char *sipc_pipeline_result_reason(const struct Sipc__Pipeline__IngestResponse *m, size_t i)
{
    if (!m || i >= m->n_results)
        return "";
    const Sipc__Pipeline__RecordResult *x = m->results[i];
    /* refers only backwards, so a malformed answer cannot loop */
    if (x->reason_of && x->reason_of <= i)
        x = m->results[x->reason_of - 1];
    return x->reason ? x->reason : "";
}
