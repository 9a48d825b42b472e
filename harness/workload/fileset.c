/* The generated file set and its request sequence (see fileset.h). The
 * sampling is written here: no Debian-packaged C library draws a Zipf
 * distribution, and the set must come out byte for byte the same from a
 * seed, which a few lines of splitmix64 guarantee. */
#include "workload/fileset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request mix per class, per mille (SPECweb99: 35/50/14/1 %). */
static const int class_permille[FILESET_CLASSES] = {350, 500, 140, 10};
static const long class_unit[FILESET_CLASSES] = {102, 1024, 10240, 102400};
/* Within-class popularity rank -> file: the middle sizes first. */
static const int rank_file[FILESET_FILES] = {4, 3, 5, 2, 6, 1, 7, 0, 8};

long fileset_size(int cls, int file)
{
    return (file + 1) * class_unit[cls];
}

void fileset_path(const struct fileset_req *q, char *out)
{
    snprintf(out, FILESET_PATH_MAX, "/dir%05u/class%d_%d", (unsigned)q->dir, q->cls,
             q->file);
}

int fileset_file_of_rank(int rank)
{
    return rank_file[rank];
}

/* splitmix64 (Steele, Lea, Flood 2014): value n of the stream of a seed. */
static uint64_t mix(uint64_t seed, uint64_t n)
{
    uint64_t z = seed + (n + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Draw n of the seed's stream as a double in [0, 1). */
static double uniform(uint64_t seed, uint64_t *n)
{
    return (double)(mix(seed, (*n)++) >> 11) / 9007199254740992.0;
}

/* Cumulative Zipf weights (1/r, r = 1..n), normalised to end at 1. */
static double *zipf_cdf(int n)
{
    double *cdf = malloc((size_t)n * sizeof *cdf), sum = 0;
    if (!cdf)
        return NULL;
    for (int r = 0; r < n; r++)
        cdf[r] = sum += 1.0 / (r + 1);
    for (int r = 0; r < n; r++)
        cdf[r] /= sum;
    return cdf;
}

/* The 0-based rank whose cumulative weight first passes u. */
static int zipf_pick(const double *cdf, int n, double u)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int fileset_draw(int dirs, uint64_t seed, struct fileset_req *out, size_t n)
{
    double *by_dir = zipf_cdf(dirs), *by_file = zipf_cdf(FILESET_FILES);
    uint64_t n_drawn = 0;
    if (!by_dir || !by_file) {
        free(by_dir);
        free(by_file);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int pick = (int)(uniform(seed, &n_drawn) * 1000), cls = 0;
        while (cls < FILESET_CLASSES - 1 && pick >= class_permille[cls])
            pick -= class_permille[cls++];
        out[i].cls = (uint8_t)cls;
        out[i].dir = (uint32_t)zipf_pick(by_dir, dirs, uniform(seed, &n_drawn));
        out[i].file = (uint8_t)rank_file[zipf_pick(by_file, FILESET_FILES,
                                                   uniform(seed, &n_drawn))];
    }
    free(by_dir);
    free(by_file);
    return 0;
}

int fileset_head(uint64_t seed, const struct fileset_req *q, char *out)
{
    char path[FILESET_PATH_MAX];
    fileset_path(q, path);
    return snprintf(out, FILESET_HEAD_MAX, "c10k-lab fileset seed=%llu %s %ld bytes\n",
                    (unsigned long long)seed, path, fileset_size(q->cls, q->file));
}

void fileset_content(uint64_t seed, const struct fileset_req *q, size_t at, char *buf,
                     size_t len)
{
    static const char letters[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char head[FILESET_HEAD_MAX];
    size_t head_len = (size_t)fileset_head(seed, q, head);
    uint64_t key = mix(seed, (uint64_t)q->dir << 16 | (uint64_t)q->cls << 8 | q->file);
    for (size_t i = 0; i < len; i++, at++) {
        size_t rel = at - head_len, k = rel - rel / 64;  /* k: letters before */
        if (at < head_len)
            buf[i] = head[at];
        else if (rel % 64 == 63)
            buf[i] = '\n';
        else
            buf[i] = letters[mix(key, k / 8) >> (6 * (k % 8)) & 63];
    }
}

/* A growing text in memory (open_memstream) for the expected files. */
static void sequence_text(struct fileset *fs, const struct fileset_req *seq, FILE *u)
{
    double sum = 0;
    for (size_t i = 0; i < FILESET_SEQUENCE; i++) {
        char path[FILESET_PATH_MAX];
        fileset_path(&seq[i], path);
        fprintf(u, "%s\n", path);
        sum += (double)fileset_size(seq[i].cls, seq[i].file);
        if (i == 0)
            snprintf(fs->first, sizeof fs->first, "%s", path);
    }
    fs->mean_bytes = sum / FILESET_SEQUENCE;
}

static void manifest_text(struct fileset *fs, FILE *m)
{
    fs->files = fs->dirs * FILESET_CLASSES * FILESET_FILES;
    fs->bytes = 0;
    for (int c = 0; c < FILESET_CLASSES; c++)
        for (int f = 0; f < FILESET_FILES; f++)
            fs->bytes += (long long)fs->dirs * fileset_size(c, f);
    fprintf(m, "c10k-lab fileset v%d dirs=%d seed=%llu files=%d bytes=%lld sequence=%d "
               "first=%s mean_bytes=%.1f\n", FILESET_VERSION, fs->dirs,
            (unsigned long long)fs->seed, fs->files, fs->bytes, FILESET_SEQUENCE,
            fs->first, fs->mean_bytes);
    for (int d = 0; d < fs->dirs; d++)
        for (int c = 0; c < FILESET_CLASSES; c++)
            for (int f = 0; f < FILESET_FILES; f++)
                fprintf(m, "/dir%05d/class%d_%d %ld\n", d, c, f, fileset_size(c, f));
}

int fileset_texts(struct fileset *fs, char **urls, char **manifest)
{
    struct fileset_req *seq = malloc(FILESET_SEQUENCE * sizeof *seq);
    size_t ulen, mlen;
    FILE *u = open_memstream(urls, &ulen), *m = open_memstream(manifest, &mlen);
    int rc = !seq || !u || !m || fileset_draw(fs->dirs, fs->seed, seq, FILESET_SEQUENCE);
    if (rc == 0) {
        sequence_text(fs, seq, u);
        manifest_text(fs, m);
    }
    free(seq);
    rc |= (u && fclose(u)) | (m && fclose(m));
    if (rc) {
        if (u)
            free(*urls);
        if (m)
            free(*manifest);
        *urls = *manifest = NULL;
        return -1;
    }
    return 0;
}
