/* For cmocka unit tests of the core's pure functions: inputs placed so that
 * they end right before a PROT_NONE page, so that reading one byte past
 * their end crashes the test (as picohttpparser's test.c does).
 *
 *   cmocka group setup unit_guard_map, teardown unit_guard_unmap;
 *   const char *p = unit_guard_copy(value, n);    // value[0..n) at the guard
 *
 * Include after <cmocka.h>. */
#ifndef UNIT_GUARD_H
#define UNIT_GUARD_H

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *unit_guard_base; /* one page, then a PROT_NONE page */
static size_t unit_guard_page;

static inline int unit_guard_map(void **state)
{
    (void)state;
    unit_guard_page = (size_t)sysconf(_SC_PAGESIZE);
    unit_guard_base = mmap(NULL, 2 * unit_guard_page, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (unit_guard_base == MAP_FAILED)
        return -1;
    return mprotect(unit_guard_base + unit_guard_page, unit_guard_page, PROT_NONE);
}

static inline int unit_guard_unmap(void **state)
{
    (void)state;
    return munmap(unit_guard_base, 2 * unit_guard_page);
}

/* s[0..n) copied to end at the guard page; n is at most a page. */
static inline const char *unit_guard_copy(const char *s, size_t n)
{
    assert_true(n <= unit_guard_page);
    char *p = unit_guard_base + unit_guard_page - n;
    memcpy(p, s, n);
    return p;
}

#endif
