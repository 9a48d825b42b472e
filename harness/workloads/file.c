/* --workload file (the default): GET --path, one file of html/ that every
 * server has cached after the first request. */
#include "workloads/workloads.h"

#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

int file_workload_prepare(struct workload *w, const struct opts *o, char *err,
                          size_t errlen)
{
    struct stat st;
    char full[PATH_MAX];
    (void)o, (void)err, (void)errlen;
    snprintf(full, sizeof full, "%s%s", w->docroot, w->path);
    w->body_size = stat(full, &st) == 0 ? (long)st.st_size : -1;
    return 0;
}

void file_workload_describe(struct workload *w, const char *extra)
{
    snprintf(w->detail, sizeof w->detail, "%s: GET %s (%ld bytes)%s", w->name, w->path,
             w->body_size, extra);
}

static void describe(struct workload *w, const struct opts *o)
{
    (void)o;
    file_workload_describe(w, "");
}

const struct workload_ops workload_file = {
    .name = "file",
    .help = "file: one cached file (--path) [default]",
    .serves_path = true,
    .prepare = file_workload_prepare,
    .describe = describe,
};
