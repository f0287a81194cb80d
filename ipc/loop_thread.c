/* loop_thread.c - which thread may call a context's functions: the one
 * that made it, and the one that runs its loop, noted at every turn of the
 * loop (a context made on one thread may be run by another, and handed
 * back once that one is done). Any other thread races the loop: its call
 * is refused, once said in the log, rather than left to corrupt state. */
#include <pthread.h>

#include "ipc/internal.h"

/* Runs at every turn of the loop before it polls: the thread running it
 * now is the loop thread (unreferenced: it never holds the loop open). */
static void on_turn(uv_prepare_t *p)
{
    sipc_ctx *ctx = p->data;
    __atomic_store_n(&ctx->loop_runner, pthread_self(), __ATOMIC_RELAXED);
}

void sipc__loop_thread_init(sipc_ctx *ctx)
{
    ctx->loop_maker = ctx->loop_runner = pthread_self();
    uv_prepare_init(ctx->loop, &ctx->turn);
    ctx->turn.data = ctx;
    uv_unref((uv_handle_t *)&ctx->turn);
    uv_prepare_start(&ctx->turn, on_turn);
}

int sipc__ctx_off_thread(sipc_ctx *ctx, const char *fn)
{
    /* one line per context: a thread that keeps calling would flood it */
    if (!__atomic_exchange_n(&ctx->off_thread_said, 1, __ATOMIC_RELAXED))
        sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Context",
                  "%s was called on a thread that does not run the loop of context %s: refused "
                  "(SIPC_EINVAL), as a call there would race the loop; hand the work to the "
                  "loop's thread with sipc_ctx_post(), the one function any thread may call "
                  "(said once per context)",
                  fn, ctx->node_id);
    return SIPC_EINVAL;
}
