/* Reads from a block device, /proc/diskstats (see diskio.h). */
#include "base/diskio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define DISKIO_STATS "/proc/diskstats"

/* The line of major:minor: its name and counters. Fields (Documentation/
 * admin-guide/iostats.rst): major minor name reads merged sectors ... */
static int find_line(unsigned major, unsigned minor, char *name, size_t namelen,
                     struct diskio_count *c)
{
    char line[512], dev[32];
    unsigned ma, mi;
    unsigned long long reads, merged, sectors;
    FILE *f = fopen(DISKIO_STATS, "r");
    int rc = -1;
    while (f && rc && fgets(line, sizeof line, f))
        if (sscanf(line, "%u %u %31s %llu %llu %llu", &ma, &mi, dev, &reads, &merged,
                   &sectors) == 6 && ma == major && mi == minor) {
            if (name)
                snprintf(name, namelen, "%s", dev);
            c->ops = reads;
            c->bytes = sectors * DISKIO_SECTOR;
            rc = 0;
        }
    if (f)
        fclose(f);
    return rc;
}

int diskio_find(struct diskio *d, const char *path, char *err, size_t errlen)
{
    struct stat st;
    struct diskio_count c;
    memset(d, 0, sizeof *d);
    if (stat(path, &st)) {
        snprintf(err, errlen, "stat %s: %s", path, strerror(errno));
        return -1;
    }
    d->major = major(st.st_dev);
    d->minor = minor(st.st_dev);
    if (find_line(d->major, d->minor, d->name, sizeof d->name, &c)) {
        snprintf(err, errlen, "%s is on device %u:%u, which %s does not list (tmpfs, "
                 "overlay or btrfs: no block device of its own)", path, d->major,
                 d->minor, DISKIO_STATS);
        return -1;
    }
    return 0;
}

int diskio_read(const struct diskio *d, struct diskio_count *c)
{
    return find_line(d->major, d->minor, NULL, 0, c);
}
