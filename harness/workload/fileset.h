/* A generated file set in the style of SPECweb99's static part, and the
 * pre-drawn request sequence both load tools walk (loadgen --urls,
 * bench/urls.lua).
 *
 *   struct fileset fs;
 *   if (fileset_prepare(&fs, "/var/tmp/c10k-lab", 60, 1, err, sizeof err)) ...
 *   // serve fs.docroot; load from fs.urls; fileset_drop_cache(&fs) before
 *   // each level of the disk-bound workload
 *
 * Layout (SPECweb99): directories dir00000, dir00001, ... each holding four
 * classes of nine files, classC_F for F = 0..8, of (F + 1) x 102 bytes
 * (class 0: 0.1-0.9 KiB), (F + 1) KiB (class 1), (F + 1) x 10 KiB (class 2)
 * and (F + 1) x 100 KiB (class 3): 4.9 MiB per directory. A request picks
 * its class with probability 35/50/14/1 %, its directory with a Zipf
 * distribution (rank r drawn with weight 1/r, directory r - 1), and its file
 * within the class with a Zipf distribution over the nine, ranks mapped to
 * files 4, 3, 5, 2, 6, 1, 7, 0, 8 (the middle size most popular, so that a
 * class's mean stays near its middle, as in SPECweb99).
 *
 * The set lives in CACHE/fileset-dDIRS-sSEED/ (docroot/, urls.txt,
 * manifest.txt), outside the repository. It is generated once from the
 * seed (the same seed gives the same bytes and sequence), written to a
 * temporary name and renamed when complete, and reused while it verifies
 * against its manifest (parameters, every file's size and first line, the
 * URL list byte for byte); a damaged set is removed and generated again. */
#ifndef HARNESS_FILESET_H
#define HARNESS_FILESET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILESET_CLASSES 4
#define FILESET_FILES 9              /* per class and directory */
#define FILESET_DIR_BYTES 5119470ll  /* of one directory's 36 files */
#define FILESET_DEFAULT_DIRS 60      /* 293 MiB */
#define FILESET_MAX_DIRS 10000       /* 48 GiB */
#define FILESET_SEQUENCE 100000      /* requests in urls.txt */
#define FILESET_DEFAULT_SEED 1
#define FILESET_DEFAULT_CACHE "/var/tmp/c10k-lab"
#define FILESET_PATH_MAX 32          /* "/dir00000/class0_0" and NUL */
#define FILESET_DIR_MAX 1024         /* the set's directory, its path */
#define FILESET_HEAD_MAX 96          /* a file's first line, at most */
#define FILESET_VERSION 1            /* of the layout and the manifest */

struct fileset_req {
    uint32_t dir;
    uint8_t cls, file;               /* class 0..3, file 0..8 */
};

struct fileset {
    int dirs;
    uint64_t seed;
    char dir[FILESET_DIR_MAX];       /* CACHE/fileset-dDIRS-sSEED */
    char docroot[FILESET_DIR_MAX + 16]; /* dir/docroot: what the servers serve */
    char urls[FILESET_DIR_MAX + 16]; /* dir/urls.txt: the request sequence */
    char first[FILESET_PATH_MAX];    /* the sequence's first path */
    int files;
    long long bytes;                 /* of the files */
    double mean_bytes;               /* mean body of the sequence's requests */
    bool generated;                  /* generated now, not reused */
    char redo[256];                  /* why a stored set was not reused ("": none
                                        was stored) */
};

/* Bytes of file `file` (0..8) of class `cls` (0..3). */
long fileset_size(int cls, int file);
/* "/dir00012/class1_4" into out (FILESET_PATH_MAX). */
void fileset_path(const struct fileset_req *q, char *out);
/* The file of within-class popularity rank `rank` (0 = most popular). */
int fileset_file_of_rank(int rank);
/* The first n requests of the sequence of (dirs, seed); 0, or -1 if out of
 * memory. Deterministic: splitmix64 from the seed. */
int fileset_draw(int dirs, uint64_t seed, struct fileset_req *out, size_t n);
/* A file's bytes [at, at + len): its first line (fileset_head: what it
 * is), then lines of 63 letters and digits, each group of 8 from splitmix64
 * of (seed, file, group), so any range can be produced on its own. */
int fileset_head(uint64_t seed, const struct fileset_req *q, char *out);
void fileset_content(uint64_t seed, const struct fileset_req *q, size_t at, char *buf,
                     size_t len);
/* The expected urls.txt (the sequence) and manifest.txt of fs->dirs and
 * fs->seed, malloc'd; also fills fs->first, files, bytes, mean_bytes. 0, or
 * -1 if out of memory. */
int fileset_texts(struct fileset *fs, char **urls, char **manifest);
/* Verifies the set in cache, or generates it: 0, or -1 with one line in
 * err (a directory that cannot be created, a full disk...). */
int fileset_prepare(struct fileset *fs, const char *cache, int dirs, uint64_t seed,
                    char *err, size_t errlen);
/* Drops the set's files from the page cache (posix_fadvise DONTNEED on
 * each): the number of files that could not be dropped. */
int fileset_drop_cache(const struct fileset *fs);

#endif
