/* The workload table (see workloads.h): set once by main, read by every
 * stage that calls a hook. A pointer to the table, not a copy, so that the
 * plug-ins above can register without this layer naming them. */
#include "options/workloads.h"

#include <string.h>

static const struct workload_ops *const *table;

void workloads_register(const struct workload_ops *const *t)
{
    table = t;
}

const struct workload_ops *workloads_get(int i)
{
    for (int k = 0; table && table[k]; k++)
        if (k == i)
            return table[k];
    return NULL;
}

const struct workload_ops *workloads_find(const char *name)
{
    for (int k = 0; table && table[k]; k++)
        if (strcmp(table[k]->name, name) == 0)
            return table[k];
    return NULL;
}
