/* path_normalize(): a table of targets, each traversal form among them, fed
 * from just before a PROT_NONE guard page (input and output) so that any
 * over-read or over-write crashes. path_open_beneath() and its walk fallback:
 * a temporary docroot with files, directories, FIFOs and symlinks that stay
 * inside or escape, removed afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"

/* ---- path_normalize ---------------------------------------------------- */

struct norm_case {
    const char *target;
    int status;      /* 0, 400 or 414 */
    const char *out; /* expected result when status is 0 */
    bool dir_slash;  /* expected flag when status is 0 */
};

#define OK(t, o, d) {t, 0, o, d}
#define BAD(t) {t, 400, NULL, false}

static const struct norm_case norm_cases[] = {
    /* plain paths, the root and the trailing slash flag */
    OK("/", "", true),
    OK("/index.html", "index.html", false),
    OK("/sub", "sub", false),
    OK("/sub/", "sub", true),
    OK("/a/b/c.txt", "a/b/c.txt", false),
    OK("/.hidden", ".hidden", false),
    OK("/..a", "..a", false),
    OK("/a..", "a..", false),
    OK("/...", "...", false),
    /* double slashes and "." segments vanish */
    OK("//", "", true),
    OK("/a//b", "a/b", false),
    OK("//a///b//", "a/b", true),
    OK("/./a/./b", "a/b", false),
    OK("/a/.", "a", true),
    OK("/.", "", true),
    OK("/%2e", "", true),
    /* ".." inside the root pops a segment */
    OK("/a/../x", "x", false),
    OK("/a/b/../../c", "c", false),
    OK("/a/b/..", "a", true),
    OK("/a/..", "", true),
    OK("/a/%2e%2e/b", "b", false),
    OK("/a/.%2E/b/", "b", true),
    /* ".." above the root, in every spelling */
    BAD(".."),
    BAD("/.."),
    BAD("/../"),
    BAD("/../x"),
    BAD("/a/../../x"),
    BAD("/a/./../.."),
    BAD("/%2e%2e"),
    BAD("/%2E%2e/"),
    BAD("/%2e%2e/etc/passwd"),
    BAD("/.%2e"),
    BAD("/%2e."),
    BAD("/a/%2e%2e/%2e%2e/x"),
    /* encoded slashes */
    BAD("/%2f"),
    BAD("/%2F"),
    BAD("/a%2fb"),
    BAD("/..%2f..%2fetc"),
    BAD("/%2e%2e%2f"),
    /* backslashes, raw and encoded */
    BAD("/a\\b"),
    BAD("/..\\x"),
    BAD("/a%5cb"),
    BAD("/a%5Cb"),
    BAD("/%2e%2e%5c"),
    /* NUL, raw or encoded, and raw control bytes are refused */
    BAD("/a%00b"),
    BAD("/a.html%00.txt"),
    BAD("/%00"),
    BAD("/a\x01"),
    BAD("/a\tb"),
    BAD("/a\x7f"),
    BAD("/a\r"),
    /* encoded control bytes and DEL are name bytes like any other */
    OK("/path-%09-x", "path-\t-x", false),
    OK("/a%0a", "a\n", false),
    OK("/a%0D%0A", "a\r\n", false),
    OK("/a%01", "a\x01", false),
    OK("/a%1f", "a\x1f", false),
    OK("/a%7f", "a\x7f", false),
    OK("/a%7F/b%09/", "a\x7f/b\t", true),
    OK("/%09", "\t", false),
    OK("/ctl%09%0a%7F", "ctl\t\n\x7f", false), /* opened below */
    OK("/.%09", ".\t", false),
    /* malformed escapes */
    BAD("/%"),
    BAD("/a%"),
    BAD("/%4"),
    BAD("/a%4"),
    BAD("/%zz"),
    BAD("/%4g"),
    BAD("/%g4"),
    BAD("/%%41"),
    BAD("/% 41"),
    /* good escapes, hex in either case */
    OK("/a%41", "aA", false),
    OK("/%7e%7E", "~~", false),
    OK("/a%20b", "a b", false),
    OK("/%61/%62/", "a/b", true),
    OK("/%25", "%", false),
    /* query and fragment are dropped before anything is decoded */
    OK("/a?b", "a", false),
    OK("/a/?q=1", "a", true),
    OK("/?q", "", true),
    OK("/a?../../etc/passwd", "a", false),
    OK("/a?%zz", "a", false),
    OK("/a?x#y", "a", false),
    OK("/a#frag", "a", false),
    OK("/a#%00", "a", false),
    OK("/a/b#/../../..", "a/b", false),
    /* absolute-form */
    OK("http://host/a/b", "a/b", false),
    OK("HTTP://Host:8080/x/", "x", true),
    OK("hTtPs://host/a", "a", false),
    OK("http://host", "", true),
    OK("http://host:80", "", true),
    OK("http://host?q", "", true),
    OK("http://host#f", "", true),
    OK("http://host/", "", true),
    OK("http://h/%41", "A", false),
    BAD("http://h/../x"),
    BAD("http://h/%2e%2e"),
    BAD("ftp://host/a"),
    BAD("http:/a"),
    BAD("http:"),
    BAD("host/a"),
    BAD("*"),
    BAD(""),
    /* UTF-8 names pass through, raw or encoded */
    OK("/caf%C3%A9.html", "caf\xc3\xa9.html", false),
    OK("/caf\xc3\xa9.html", "caf\xc3\xa9.html", false),
    OK("/%E6%97%A5%E6%9C%AC/", "\xe6\x97\xa5\xe6\x9c\xac", true),
    OK("/%ff", "\xff", false),
};

/* Two pages, the second PROT_NONE: data placed at the end of the first page
 * has its last byte right before the guard. */
static char *guard_page;
static size_t page_size;

static int guard_setup(void **state)
{
    (void)state;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    guard_page = mmap(NULL, 4 * page_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_page == MAP_FAILED)
        return -1;
    /* pages 0 (input) and 2 (output) usable, 1 and 3 guards */
    if (mprotect(guard_page + page_size, page_size, PROT_NONE) != 0 ||
        mprotect(guard_page + 3 * page_size, page_size, PROT_NONE) != 0)
        return -1;
    return 0;
}

static int guard_teardown(void **state)
{
    (void)state;
    return munmap(guard_page, 4 * page_size);
}

/* Runs path_normalize with the target ending at the input guard and an
 * output buffer of outsz bytes ending at the output guard. */
static int normalize_guarded(const char *target, size_t len, size_t outsz,
                             char **out, bool *dir_slash)
{
    assert_true(len <= page_size && outsz <= page_size);
    char *in = guard_page + page_size - len;
    memcpy(in, target, len);
    *out = guard_page + 3 * page_size - outsz;
    memset(*out, 'X', outsz);
    return path_normalize(in, len, *out, outsz, dir_slash);
}

static void normalize_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
        const struct norm_case *c = &norm_cases[i];
        char *out;
        bool slash = !c->dir_slash;
        int st = normalize_guarded(c->target, strlen(c->target), 64, &out,
                                   &slash);
        if (st != c->status)
            fail_msg("path_normalize(\"%s\") = %d, want %d", c->target, st,
                     c->status);
        if (st != 0)
            continue;
        if (strcmp(out, c->out) != 0)
            fail_msg("path_normalize(\"%s\") -> \"%s\", want \"%s\"",
                     c->target, out, c->out);
        if (slash != c->dir_slash)
            fail_msg("path_normalize(\"%s\") dir_slash %d, want %d",
                     c->target, slash, c->dir_slash);
    }
}

static void normalize_reads_only_len_bytes(void **state)
{
    (void)state;
    char *out;
    bool slash;
    /* The target is not NUL-terminated: the guard page follows "/ab". */
    assert_int_equal(normalize_guarded("/ab", 3, 16, &out, &slash), 0);
    assert_string_equal(out, "ab");
    /* A shorter len cuts the target there. */
    assert_int_equal(normalize_guarded("/ab/", 2, 16, &out, &slash), 0);
    assert_string_equal(out, "a");
    assert_false(slash);
    /* An escape cut by len is malformed, not read past len. */
    assert_int_equal(normalize_guarded("/a%41", 4, 16, &out, &slash), 400);
    /* A raw NUL inside len is a control byte. */
    assert_int_equal(normalize_guarded("/a\0b", 4, 16, &out, &slash), 400);
}

static void normalize_overflow_is_414(void **state)
{
    (void)state;
    char *out;
    bool slash;
    /* "abc" needs 4 bytes with its NUL. */
    assert_int_equal(normalize_guarded("/abc", 4, 4, &out, &slash), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(normalize_guarded("/abc", 4, 3, &out, &slash), 414);
    assert_int_equal(normalize_guarded("/a/b", 4, 3, &out, &slash), 414);
    assert_int_equal(normalize_guarded("/", 1, 1, &out, &slash), 0);
    assert_string_equal(out, "");
    assert_int_equal(normalize_guarded("/", 1, 0, &out, &slash), 414);
    /* Escapes count once decoded: "%41%42%43" is "ABC". */
    assert_int_equal(normalize_guarded("/%41%42%43", 10, 4, &out, &slash), 0);
    assert_string_equal(out, "ABC");
}

static void normalize_long_target_is_414(void **state)
{
    (void)state;
    static char target[PATH_REL_MAX + 2];
    static char out[PATH_REL_MAX];
    bool slash;
    target[0] = '/';
    memset(target + 1, 'a', PATH_REL_MAX);
    assert_int_equal(path_normalize(target, PATH_REL_MAX + 1, out, sizeof out,
                                    &slash), 414);
    /* One byte less fits exactly. */
    assert_int_equal(path_normalize(target, PATH_REL_MAX, out, sizeof out,
                                    &slash), 0);
    assert_int_equal(strlen(out), PATH_REL_MAX - 1);
}

/* ---- path_open_beneath and the walk ------------------------------------ */

struct tree {
    char base[64];  /* mkdtemp dir holding root/ and outside.txt */
    char root[96];
    int rootfd;
    bool have_openat2;
};

static struct tree tree;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static void make_link(const char *target, const char *name)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", tree.root, name);
    if (symlink(target, path) != 0)
        fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

/* The docroot:
 *   file.txt "inside"            sub/inner.txt "inner"
 *   link_in -> file.txt          sub/link_up -> ../file.txt (stays inside)
 *   link_out -> ../outside.txt   link_etc -> /etc/passwd
 *   link_abs_in -> <root>/file.txt (absolute, though it points inside)
 *   dirlink_in -> sub            dirlink_out -> ..
 *   fifo (a named pipe nobody writes to)
 *   "ctl\t\n\x7f" "control" (control bytes are name bytes; made here, never
 *   committed)
 * and next to it, outside the root, outside.txt "outside". */
static int tree_setup(void **state)
{
    (void)state;
    char path[160];
    strcpy(tree.base, "/tmp/test_path.XXXXXX");
    if (!mkdtemp(tree.base))
        return -1;
    snprintf(tree.root, sizeof tree.root, "%s/root", tree.base);
    if (mkdir(tree.root, 0755) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/sub", tree.root);
    if (mkdir(path, 0755) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/outside.txt", tree.base);
    write_file(path, "outside");
    snprintf(path, sizeof path, "%s/file.txt", tree.root);
    write_file(path, "inside");
    snprintf(path, sizeof path, "%s/sub/inner.txt", tree.root);
    write_file(path, "inner");
    snprintf(path, sizeof path, "%s/ctl\t\n\x7f", tree.root);
    write_file(path, "control");
    snprintf(path, sizeof path, "%s/fifo", tree.root);
    if (mkfifo(path, 0644) != 0)
        return -1;
    make_link("file.txt", "link_in");
    make_link("../file.txt", "sub/link_up");
    make_link("../outside.txt", "link_out");
    make_link("/etc/passwd", "link_etc");
    snprintf(path, sizeof path, "%s/file.txt", tree.root);
    make_link(path, "link_abs_in");
    make_link("sub", "dirlink_in");
    make_link("..", "dirlink_out");
    tree.rootfd = open(tree.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (tree.rootfd < 0)
        return -1;
    /* Probe the kernel directly so the kernel-path tests can skip on a
     * system without openat2 (path_open_beneath would silently walk). */
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
    long fd = syscall(SYS_openat2, tree.rootfd, ".", &how, sizeof how);
    tree.have_openat2 = fd >= 0;
    if (fd >= 0 && close((int)fd) != 0)
        return -1;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int tree_teardown(void **state)
{
    (void)state;
    if (close(tree.rootfd) != 0)
        return -1;
    /* FTW_PHYS: never follow the test's own escaping symlinks. */
    return nftw(tree.base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Reads the opened file and compares its contents. */
static void expect_content(int fd, const char *rel, const char *text)
{
    char buf[64];
    if (fd < 0)
        fail_msg("open \"%s\": %s", rel, strerror(-fd));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    if (strcmp(buf, text) != 0)
        fail_msg("open \"%s\" read \"%s\", want \"%s\"", rel, buf, text);
    int fl = fcntl(fd, F_GETFL);
    int fdfl = fcntl(fd, F_GETFD);
    assert_true(fl >= 0 && fdfl >= 0);
    assert_true(fl & O_NONBLOCK);
    assert_int_equal(fl & O_ACCMODE, O_RDONLY);
    assert_true(fdfl & FD_CLOEXEC);
    assert_int_equal(close(fd), 0);
}

static void expect_error(int fd, const char *rel, int err)
{
    if (fd >= 0) {
        close(fd);
        fail_msg("open \"%s\" succeeded, want -%s", rel, strerrorname_np(err));
    }
    if (fd != -err)
        fail_msg("open \"%s\" = -%s, want -%s", rel, strerrorname_np(-fd),
                 strerrorname_np(err));
}

struct open_case {
    const char *rel;
    int err;          /* 0: opens and reads text */
    const char *text;
};

static void open_table(int (*open_fn)(int, const char *),
                       const struct open_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int fd = open_fn(tree.rootfd, t[i].rel);
        if (t[i].err)
            expect_error(fd, t[i].rel, t[i].err);
        else
            expect_content(fd, t[i].rel, t[i].text);
    }
}

/* Outcomes shared by both paths: no symlink involved. */
static const struct open_case open_common[] = {
    {"file.txt", 0, "inside"},
    {"sub/inner.txt", 0, "inner"},
    {"sub//inner.txt", 0, "inner"},
    {"./sub/./inner.txt", 0, "inner"},
    {"missing", ENOENT, NULL},
    {"sub/missing", ENOENT, NULL},
    {"missing/x", ENOENT, NULL},
    {"file.txt/x", ENOTDIR, NULL},
    {"ctl\t\n\x7f", 0, "control"},
    {"ctl\t", ENOENT, NULL},
    {"../outside.txt", EXDEV, NULL},
    {"sub/../../outside.txt", EXDEV, NULL},
    {"/etc/passwd", EXDEV, NULL},
};

/* The kernel path follows symlinks that stay inside and refuses the rest. */
static const struct open_case open_kernel[] = {
    {"link_in", 0, "inside"},
    {"sub/link_up", 0, "inside"},
    {"dirlink_in/inner.txt", 0, "inner"},
    {"sub/../file.txt", 0, "inside"},
    {"link_out", EXDEV, NULL},
    {"link_etc", EXDEV, NULL},
    {"link_abs_in", EXDEV, NULL},
    {"dirlink_out/outside.txt", EXDEV, NULL},
    {"dirlink_out/root/file.txt", EXDEV, NULL},
};

/* The walk follows no symlink at all, and refuses ".." outright. */
static const struct open_case open_walk[] = {
    {"link_in", ELOOP, NULL},
    {"sub/link_up", ELOOP, NULL},
    {"dirlink_in/inner.txt", ELOOP, NULL},
    {"sub/../file.txt", EXDEV, NULL},
    {"link_out", ELOOP, NULL},
    {"link_etc", ELOOP, NULL},
    {"link_abs_in", ELOOP, NULL},
    {"dirlink_out/outside.txt", ELOOP, NULL},
    {"dirlink_out/root/file.txt", ELOOP, NULL},
};

#define TABLE(fn, t) open_table(fn, t, sizeof t / sizeof t[0])

static void open_beneath_serves_and_refuses(void **state)
{
    (void)state;
    if (!tree.have_openat2)
        skip();
    TABLE(path_open_beneath, open_common);
    TABLE(path_open_beneath, open_kernel);
}

static void open_walk_serves_and_refuses(void **state)
{
    (void)state;
    TABLE(path_open_beneath_walk, open_common);
    TABLE(path_open_beneath_walk, open_walk);
}

/* "" is the docroot itself; the caller fstat()s and sees a directory. */
static void open_empty_is_docroot(void **state)
{
    (void)state;
    int (*fns[])(int, const char *) = {path_open_beneath,
                                       path_open_beneath_walk};
    struct stat want, got;
    assert_int_equal(fstat(tree.rootfd, &want), 0);
    for (size_t i = 0; i < 2; i++) {
        int fd = fns[i](tree.rootfd, i == 0 ? "" : ".");
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &got), 0);
        assert_true(S_ISDIR(got.st_mode));
        assert_int_equal(got.st_ino, want.st_ino);
        assert_int_equal(close(fd), 0);
    }
    int fd = path_open_beneath_walk(tree.rootfd, "");
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
}

/* O_NONBLOCK: a FIFO without a writer must not block the open. */
static void open_fifo_does_not_block(void **state)
{
    (void)state;
    int (*fns[])(int, const char *) = {path_open_beneath,
                                       path_open_beneath_walk};
    for (size_t i = 0; i < 2; i++) {
        int fd = fns[i](tree.rootfd, "fifo");
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISFIFO(st.st_mode));
        assert_int_equal(close(fd), 0);
    }
}

/* Makes openat2 fail with err in this process, as an old kernel (ENOSYS) or
 * a container's seccomp profile (EPERM) would. Only the syscall number is
 * checked: the filter lives in a short-lived test child of the same arch. */
static int block_openat2(int err)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In a child with openat2 blocked: files still open, through the walk, and
 * a symlink now gives -ELOOP (the walk's answer), also on the second call
 * (the switch is remembered). Exit status: 0 pass, 77 cannot filter, else
 * the number of the failed check. */
static int fallback_child(int err)
{
    if (block_openat2(err) != 0)
        return 77;
    struct open_how how = {.flags = O_RDONLY};
    if (syscall(SYS_openat2, tree.rootfd, ".", &how, sizeof how) != -1 ||
        errno != err)
        return 1;
    for (int round = 0; round < 2; round++) {
        int fd = path_open_beneath(tree.rootfd, "sub/inner.txt");
        if (fd < 0)
            return 2;
        if (close(fd) != 0)
            return 3;
        if (path_open_beneath(tree.rootfd, "link_in") != -ELOOP)
            return 4;
        if (path_open_beneath(tree.rootfd, "dirlink_out/outside.txt") != -ELOOP)
            return 5;
        if (path_open_beneath(tree.rootfd, "../outside.txt") != -EXDEV)
            return 6;
    }
    return 0;
}

static void open_falls_back_without_openat2(void **state)
{
    (void)state;
    const int errs[] = {ENOSYS, EPERM};
    for (size_t i = 0; i < 2; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(fallback_child(errs[i]));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
            skip();
        if (WEXITSTATUS(status) != 0)
            fail_msg("openat2 blocked with %s: check %d failed",
                     strerrorname_np(errs[i]), WEXITSTATUS(status));
    }
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    assert_int_equal(closedir(d), 0);
    return n;
}

/* The walk opens one O_PATH fd per directory; none may leak, on success or
 * on any failure. */
static void open_walk_closes_intermediate_fds(void **state)
{
    (void)state;
    const char *rels[] = {"sub/inner.txt", "sub/missing", "dirlink_out/x",
                          "sub/../file.txt", "file.txt/x", "sub/link_up"};
    int before = count_fds();
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
        int fd = path_open_beneath_walk(tree.rootfd, rels[i]);
        if (fd >= 0)
            assert_int_equal(close(fd), 0);
    }
    assert_int_equal(count_fds(), before);
}

static void errno_status_table(void **state)
{
    (void)state;
    static const struct { int err, status; } t[] = {
        {ENOENT, 404}, {ENOTDIR, 404}, {EACCES, 403}, {EPERM, 403},
        {EXDEV, 403},  {ELOOP, 403},   {ENAMETOOLONG, 414},
        {EIO, 500},    {EMFILE, 500},  {ENOMEM, 500},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(path_errno_status(t[i].err), t[i].status);
        assert_int_equal(path_errno_status(-t[i].err), t[i].status);
    }
}

/* path_is_hidden: any segment that starts with '.', but a first segment
 * ".well-known" (RFC 8615), on the results of path_normalize. */
static void hidden_segments(void **state)
{
    (void)state;
    static const char *const hidden[] = {
        ".git/config", ".env", ".htpasswd", "a/.hidden/x", "a/.dotfile", ".git",
        ".well-knownx/y", ".well-known/.secret", ".well-known/a/.b", "..."};
    static const char *const published[] = {
        "", "index.html", "a/b.c", "a./b", "a/b.", ".well-known", ".well-known/x",
        ".well-known/acme-challenge/t", "well-known/x", "a..b/c"};
    for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
        if (!path_is_hidden(hidden[i]))
            fail_msg("%s should be hidden", hidden[i]);
    for (size_t i = 0; i < sizeof published / sizeof *published; i++)
        if (path_is_hidden(published[i]))
            fail_msg("%s should be published", published[i]);
}

int main(void)
{
    const struct CMUnitTest norm_tests[] = {
        cmocka_unit_test(normalize_table),
        cmocka_unit_test(normalize_reads_only_len_bytes),
        cmocka_unit_test(normalize_overflow_is_414),
        cmocka_unit_test(normalize_long_target_is_414),
    };
    const struct CMUnitTest open_tests[] = {
        cmocka_unit_test(open_beneath_serves_and_refuses),
        cmocka_unit_test(open_walk_serves_and_refuses),
        cmocka_unit_test(open_empty_is_docroot),
        cmocka_unit_test(open_fifo_does_not_block),
        cmocka_unit_test(open_walk_closes_intermediate_fds),
        cmocka_unit_test(open_falls_back_without_openat2),
        cmocka_unit_test(errno_status_table),
        cmocka_unit_test(hidden_segments),
    };
    int failed = cmocka_run_group_tests(norm_tests, guard_setup, guard_teardown);
    failed += cmocka_run_group_tests(open_tests, tree_setup, tree_teardown);
    return failed != 0;
}
