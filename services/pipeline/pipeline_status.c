/* pipeline_status.c - the names of the pipeline's statuses, in the
 * library of its messages so a producer has them without the service. */
#include "pipeline.pb-c.h"
#include "pipeline_service.h"

const char *sipc_pipeline_status_name(int status)
{
    switch (status) {
    case SIPC_PIPELINE_BAD_REQUEST: return "BAD_REQUEST";
    case SIPC_PIPELINE_UNKNOWN_NODE: return "UNKNOWN_NODE";
    case SIPC_PIPELINE_TOO_LARGE: return "TOO_LARGE";
    case SIPC_PIPELINE_BUSY: return "BUSY";
    case SIPC_PIPELINE_CLOSING: return "CLOSING";
    default: return "UNKNOWN";
    }
}

_Static_assert((int)SIPC_PIPELINE_BAD_REQUEST == (int)SIPC__PIPELINE__STATUS__BAD_REQUEST &&
                   (int)SIPC_PIPELINE_UNKNOWN_NODE == (int)SIPC__PIPELINE__STATUS__UNKNOWN_NODE &&
                   (int)SIPC_PIPELINE_TOO_LARGE == (int)SIPC__PIPELINE__STATUS__TOO_LARGE &&
                   (int)SIPC_PIPELINE_BUSY == (int)SIPC__PIPELINE__STATUS__BUSY &&
                   (int)SIPC_PIPELINE_CLOSING == (int)SIPC__PIPELINE__STATUS__CLOSING,
               "pipeline_service.h and pipeline.proto disagree on a status");
