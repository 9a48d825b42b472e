/* The table of workloads (see workloads.h): one line per workload, the
 * default first. */
#include "workloads/workloads.h"

const struct workload_ops *const workloads_table[] = {
    &workload_file,
    &workload_fileset,
    &workload_fileset_cold,
    &workload_slow_clients,
    NULL,
};
