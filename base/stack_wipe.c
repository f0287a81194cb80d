/* stack_wipe.c - see stack_wipe.h. */
#include "base/stack_wipe.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Room kept below the last cleared chunk: explicit_bzero's own frame and a
 * signal handler's. */
#define STACK_WIPE_SPARE (16u << 10)
#define STACK_WIPE_CHUNK (4u << 10)

/* The thread's stack, looked up once: on a process's main thread
 * pthread_getattr_np reads /proc/self/maps (about 20 us), more than the
 * wipe itself, and the bounds do not move for the thread's life. */
static _Thread_local struct {
    int looked; /* 1: looked up, 0 not yet */
    uintptr_t lo;
    size_t size; /* 0: not known */
} stack;

/* Bytes of stack below here, 0 when the thread's stack is not known. */
static size_t stack_left(void)
{
    if (!stack.looked) {
        pthread_attr_t a;
        void *lo;
        size_t size;
        stack.looked = 1;
        if (pthread_getattr_np(pthread_self(), &a) == 0) {
            if (pthread_attr_getstack(&a, &lo, &size) == 0) {
                stack.lo = (uintptr_t)lo;
                stack.size = size;
            }
            pthread_attr_destroy(&a);
        }
    }
    char here;
    uintptr_t h = (uintptr_t)&here;
    return stack.size && h > stack.lo && h - stack.lo <= stack.size ? h - stack.lo : 0;
}

/* n chunks, each in a frame of its own below the one before. noinline and
 * the asm after the call keep each frame where it is (no inlining, no tail
 * call reusing it), and tell the compiler the cleared bytes are read, so
 * the clearing is not dropped as a dead store. */
__attribute__((noinline)) static void wipe_chunks(unsigned n)
{
    unsigned char chunk[STACK_WIPE_CHUNK];
    explicit_bzero(chunk, sizeof chunk);
    if (n > 1)
        wipe_chunks(n - 1);
    __asm__ __volatile__("" : : "r"(chunk) : "memory");
}

void sipc_stack_wipe(void)
{
    sipc_stack_wipe_depth(SIPC_STACK_WIPE_BYTES);
}

void sipc_stack_wipe_depth(size_t bytes)
{
    size_t left = stack_left(), want = bytes;
    /* a thread with a small stack (musl's are 128 KiB) gets what it has */
    if (left && left < want + STACK_WIPE_SPARE)
        want = left > STACK_WIPE_SPARE ? left - STACK_WIPE_SPARE : 0;
    if (want >= STACK_WIPE_CHUNK)
        wipe_chunks((unsigned)(want / STACK_WIPE_CHUNK));
}
