/* The OpenSSH transport under remote.c: build ssh/scp command lines, run
 * one to completion with its output captured, explain its failure in one
 * line, and the pieces of a two-way session (the clock probe).
 *
 *   struct ssh_cmd c;
 *   struct ssh_out r;
 *   ssh_cmd_remote(&c, config, "user@host", "uname -m");
 *   if (ssh_run("user@host", "uname -m", c.argv, SSH_TIMEOUT_MS, true, &r,
 *               err, sizeof err)) ...err says why...
 *   else ...r.out is what it printed...
 *
 * Children are spawned with spawn_child (own group, killed with the
 * harness); SIGPIPE must be ignored (spawn_install_signals does it). */
#ifndef HARNESS_SSH_H
#define HARNESS_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SSH_MAX_ARGS 24

struct ssh_cmd {
    char *argv[SSH_MAX_ARGS]; /* NULL-terminated by the builders */
    int n;
};

struct ssh_out {              /* what one ssh or scp process said */
    char out[4096];           /* stdout, cut at the size */
    char errtxt[2048];        /* stderr, cut at the size */
    int status;               /* wait status, -1 if unknown */
};

/* prog ("ssh" or "scp"), -F config (if not "" or NULL) and the options
 * every session uses; the caller appends the rest and a NULL. */
void ssh_cmd_start(struct ssh_cmd *c, const char *prog, const char *config);
/* ssh ... -- dest command (NULL-terminated). */
void ssh_cmd_remote(struct ssh_cmd *c, const char *config, const char *dest,
                    const char *command);
/* s in single quotes for a POSIX shell; -1 if it does not fit. */
int ssh_quote(const char *s, char *out, size_t outlen);

/* Runs argv to completion within timeout_ms (interruptible: give up on the
 * harness's Ctrl-C). 0 if it exited 0; else -1 and err = "DEST: ..." */
int ssh_run(const char *dest, const char *what, char *const argv[],
            int timeout_ms, bool interruptible, struct ssh_out *r, char *err,
            size_t errlen);
/* err = "DEST: unreachable: <ssh's line>", "DEST: authentication refused
 * ...", or "DEST: WHAT failed (exit status 3): <last stderr line>". ssh's
 * own causes are looked for only when transport (ssh exited 255, died, or
 * scp failed): a remote command may print the same words. */
void ssh_explain(const char *dest, const char *what, const struct ssh_out *r,
                 bool transport, char *err, size_t errlen);

/* One line (without its newline) read byte by byte, nothing after it
 * consumed; deadline in util_now() seconds. Length, or -1 with why. */
int ssh_read_line(int fd, char *buf, size_t len, double deadline, char *why,
                  size_t whylen);
/* argv with stdin and stdout as pipes (*to, *from), stderr to errfd. */
pid_t ssh_spawn_duplex(char *const argv[], int *to, int *from, int errfd,
                       char *why, size_t whylen);
/* A memfd's whole text (a child's stderr), NUL-terminated. */
void ssh_read_memfd(int fd, char *out, size_t outlen);

#endif
