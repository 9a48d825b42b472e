/* The table of workloads (see workloads.h): one line per workload, the
 * default first. */
#include "workloads/workloads.h"

/* Each defined in its own file. */
extern const struct workload_ops workload_file, workload_fileset, workload_fileset_cold,
    workload_slow_clients, workload_gzip, workload_mixed, workload_db, workload_queries;

const struct workload_ops *const workloads_table[] = {
    &workload_file,
    &workload_fileset,
    &workload_fileset_cold,
    &workload_slow_clients,
    &workload_gzip,
    &workload_mixed,
    &workload_db,
    &workload_queries,
    NULL,
};
