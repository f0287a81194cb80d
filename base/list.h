/* list.h - an intrusive doubly linked list: the node lives inside the
 * object, so linking and unlinking never allocate. */
#ifndef SIPC_BASE_LIST_H
#define SIPC_BASE_LIST_H

#include <stddef.h>

typedef struct sipc_link {
    struct sipc_link *prev, *next;
} sipc_link;

static inline void sipc_list_init(sipc_link *head)
{
    head->prev = head->next = head;
}
static inline int sipc_list_empty(const sipc_link *head)
{
    return head->next == head;
}
static inline void sipc_list_insert_before(sipc_link *pos, sipc_link *n)
{
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
}
static inline void sipc_list_remove(sipc_link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}
#define sipc_container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

#endif
