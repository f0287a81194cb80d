/* freelist.c - see freelist.h. */
#include <assert.h>
#include <stdlib.h>

#include "base/freelist.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

void sipc_freelist_init(sipc_freelist *f, size_t size, unsigned max)
{
    f->head = f->tail = NULL;
    f->n = 0;
    f->max = max;
    f->size = size < sizeof(void *) ? sizeof(void *) : size;
}

void *sipc_freelist_get(sipc_freelist *f)
{
    void *p = f->head;
    if (!p)
        return malloc(f->size);
    UNPOISON(p, f->size);
    f->head = *(void **)p;
    if (!f->head)
        f->tail = NULL;
    f->n--;
    return p;
}

void sipc_freelist_put(sipc_freelist *f, void *p)
{
    if (!p)
        return;
    if (f->n >= f->max) {
        free(p);
        return;
    }
    *(void **)p = NULL;
    if (f->tail)
        *(void **)f->tail = p; /* the link, never poisoned */
    else
        f->head = p;
    f->tail = p;
    f->n++;
    /* the link stays readable: LeakSanitizer does not look for pointers in
     * poisoned memory and would take the spares behind it for leaks */
    POISON((char *)p + sizeof(void *), f->size - sizeof(void *));
}

void sipc_freelist_clear(sipc_freelist *f)
{
    while (f->head) {
        void *p = f->head;
        UNPOISON(p, f->size);
        f->head = *(void **)p;
        free(p);
        f->n--;
    }
    f->tail = NULL;
    assert(f->n == 0);
}
