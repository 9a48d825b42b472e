/* Reads from the block device under a directory, from /proc/diskstats:
 * the evidence that a workload went to the disk.
 *
 *   struct diskio d;
 *   if (diskio_find(&d, docroot, err, sizeof err)) ...  // tmpfs, overlay: none
 *   struct diskio_count a, b;
 *   diskio_read(&d, &a); ...load...; diskio_read(&d, &b);
 *   // b.bytes - a.bytes read in between, b.ops - a.ops read requests
 *
 * The counts are the device's, so they include every process that read from
 * it meanwhile; during a measurement that is the server (the load
 * generators read nothing from the disk), unless the machine is not quiet.
 * Why not the server's cgroup (v1 blkio, v2 io.stat): v1 counts a group's
 * I/O only while a throttling rule is set on the device, and v2 needs the
 * io controller enabled down the tree; /proc/diskstats needs neither, and a
 * partition or device-mapper volume has its own line there. */
#ifndef HARNESS_DISKIO_H
#define HARNESS_DISKIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISKIO_SECTOR 512  /* /proc/diskstats counts 512-byte sectors */

struct diskio {
    unsigned major, minor;
    char name[32];         /* as /proc/diskstats names it, e.g. vda, sda1, dm-0 */
};

struct diskio_count {
    uint64_t bytes, ops;   /* sectors read x 512, reads completed */
};

/* The device of path's filesystem: 0, or -1 with why in err (a filesystem
 * without a block device: tmpfs, overlay, btrfs subvolumes). */
int diskio_find(struct diskio *d, const char *path, char *err, size_t errlen);
int diskio_read(const struct diskio *d, struct diskio_count *c);

#endif
