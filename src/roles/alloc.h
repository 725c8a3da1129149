/* The roles' memory: through the configured tekho_allocator, or the C
 * library when none is set (include/tekho/roles.h). */
#ifndef TEKHO_ROLES_ALLOC_H
#define TEKHO_ROLES_ALLOC_H

#include <stdlib.h>

#include "tekho/roles.h"

static inline void *role_calloc(const struct tekho_allocator *a, size_t n, size_t size)
{
    return a != NULL && a->calloc != NULL ? a->calloc(a->ctx, n, size) : calloc(n, size);
}

static inline void role_free(const struct tekho_allocator *a, void *p)
{
    if (p == NULL)
        return;
    if (a != NULL && a->free != NULL)
        a->free(a->ctx, p);
    else
        free(p);
}

#endif
