#!/usr/bin/env python3
"""URL lists, as the file-set workloads use them: loadgen --urls and the wrk
script bench/urls.lua walk the same file, against a server that records the
path of every request per connection.

    python3 tests/urls.py TEST build/loadgen SOURCE_ROOT

TEST is one of:
  loadgen  each connection walks the list cyclically from line i*N/C, with
           and without pipelining (the wrap-around of a batch included);
           the URL's path must be /; a bad --urls file is one line on
           stderr and exit 2; a class column after a tab (the mixed
           workload) is not sent, and each class gets its own count and p99
  wrk      bench/urls.lua: each wrk thread walks the list from its own
           place, pipelined too, and done() still prints report.lua's line

Every check prints "ok - name" or "not ok - name: why"; exit 1 if any
failed, 77 if none could run.
"""

import os
import shutil
import sys
import tempfile
import threading
import time

from loadgen_lib import Fail, PyServer, Runner, Skip, expect, loadgen, run

LG = ROOT = None
RUN_BOUND_S = 40  # beyond a run's own duration (a loaded CI machine)
SLOW_S = 0.5      # the recording server's delay for /slow: far above a fast answer


class RecordingServer(PyServer):
    """Answers every GET 200 with a 2-byte body on keep-alive connections and
    records, per connection, the paths in the order they arrived."""

    def __init__(self):
        self.paths = {}
        self.paths_lock = threading.Lock()
        super().__init__()

    def answer(self, conn, path):
        with self.paths_lock:
            self.paths.setdefault(id(conn), []).append(path)
        if path == "/slow":
            time.sleep(SLOW_S)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return True

    def sequences(self):
        with self.paths_lock:
            return [list(v) for v in self.paths.values()]


def url_file(paths, extra=""):
    f = tempfile.NamedTemporaryFile("w", prefix="c10k-urls-", suffix=".txt", delete=False)
    f.write("".join(p + "\n" for p in paths) + extra)
    f.close()
    return f.name


def walks(seq, paths):
    """The index in paths where seq starts, if seq walks paths cyclically
    from there (one step per request); else a Fail."""
    expect(seq, "a connection sent nothing")
    start = paths.index(seq[0])
    for k, p in enumerate(seq):
        want = paths[(start + k) % len(paths)]
        expect(p == want, f"request {k} from line {start}: {p}, expected {want}")
    return start


def run_loadgen(paths, conns, *extra, rate=200, secs=1.0):
    name = url_file(paths)
    srv = RecordingServer()
    try:
        r, _ = loadgen(LG, srv.url + "/", "--rate", str(rate), "--conns", str(conns),
                       "--duration", str(secs), "--urls", name, *extra, duration=secs)
        return r, srv.sequences()
    finally:
        srv.stop()
        os.unlink(name)


def paths_of(n):
    return [f"/dir{d:05d}/class{d % 4}_{d % 9}" for d in range(n)]


# ---- loadgen ------------------------------------------------------------------

def loadgen_one_connection_walks_the_list():
    paths = paths_of(7)
    r, seqs = run_loadgen(paths, 1)
    expect(r["errors"] == 0 and r["completed"] > 150, f"completed {r['completed']}")
    expect(len(seqs) == 1, f"{len(seqs)} connections")
    expect(walks(seqs[0], paths) == 0, "connection 0 starts at line 0")
    expect(len(seqs[0]) > len(paths), "the walk wraps around the list")


def loadgen_connections_start_apart():
    paths = paths_of(40)
    r, seqs = run_loadgen(paths, 4)
    starts = sorted(walks(s, paths) for s in seqs)
    expect(starts == [0, 10, 20, 30], f"connections started at lines {starts}")


def loadgen_pipelined_batches_wrap():
    """5 paths, 2 connections, 3 in flight: batches cross the end of the
    list, and each connection still walks it one by one."""
    paths = paths_of(5)
    r, seqs = run_loadgen(paths, 2, "--pipeline", "3", rate=20000)
    expect(r["errors"] == 0, f"errors {r['errors']}")
    starts = sorted(walks(s, paths) for s in seqs)
    expect(starts == [0, 2], f"connections started at lines {starts}")


BAD_FILES = [
    ("", "no path"),
    ("\n\n", "no path"),
    ("/a\nrelative\n", "line 2"),
    ("/a\n/with space\n", "line 2"),
    ("/a\n/b#frag\n", "line 2"),
    ("/a\t2\n", "line 1"),
    ("/a\n/b\tcheap\n", "line 2"),
]


def loadgen_classes():
    """Class 1 (/slow, 500 ms) is a quarter of the list: its count and p99
    are its own, class 0 (tab 0 or no column) stays fast. 4 connections at
    4 req/s: each sends once a second, so a slow answer delays no other."""
    paths = ["/a\t0", "/slow\t1", "/c", "/d\t0"]
    r, seqs = run_loadgen(paths, 4, rate=4, secs=4.0)
    for s in seqs:
        walks(s, ["/a", "/slow", "/c", "/d"])  # the column is not sent
    n0, n1 = r["class0_completed"], r["class1_completed"]
    expect(n0 + n1 == r["completed"] and abs(n1 - r["completed"] / 4) <= 2,
           f"classes {n0} + {n1} of {r['completed']}")
    expect(r["class1_p99_us"] >= SLOW_S * 1e6 > r["class0_p99_us"],
           f"p99 class 1 {r['class1_p99_us']} us, class 0 {r['class0_p99_us']} us")


def loadgen_bad_lists_exit_2():
    for text, mention in BAD_FILES + [(None, "No such file")]:
        name = url_file([], text or "") if text is not None else "/nonexistent/c10k-urls"
        try:
            rc, out, err = run([LG, "--rate", "10", "--conns", "1", "--duration", "1",
                                "--urls", name, "http://127.0.0.1:9/"], 30)
        finally:
            if text is not None:
                os.unlink(name)
        lines = err.strip().splitlines()
        expect(rc == 2 and out == "", f"{text!r}: exit {rc}, stdout {out!r}")
        expect(len(lines) == 1 and "--urls" in lines[0] and mention in lines[0],
               f"{text!r}: want one line naming --urls and {mention!r}, got {err!r}")


def loadgen_urls_need_root_path():
    name = url_file(["/a"])
    try:
        rc, _, err = run([LG, "--rate", "10", "--conns", "1", "--duration", "1",
                          "--urls", name, "http://127.0.0.1:9/x"], 30)
    finally:
        os.unlink(name)
    expect(rc == 2 and "--urls" in err and len(err.strip().splitlines()) == 1,
           f"exit {rc}: {err!r}")


# ---- wrk ------------------------------------------------------------------------

def run_wrk(paths, threads, conns, pipeline=1, secs=1):
    if not shutil.which("wrk"):
        raise Skip("wrk not found (Debian package wrk)")
    name = url_file(paths)
    srv = RecordingServer()
    try:
        rc, out, err = run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{secs}s",
                            "-s", os.path.join(ROOT, "bench", "urls.lua"), srv.url + "/",
                            "--", str(pipeline), name, str(threads)], secs + RUN_BOUND_S)
        return rc, out, err, srv.sequences()
    finally:
        srv.stop()
        os.unlink(name)


def report_line(out):
    line = [l for l in out.splitlines() if l.startswith("c10k-wrk: ")]
    expect(len(line) == 1, f"want one c10k-wrk line, got {out!r}")
    fields = dict(f.split("=") for f in line[0].split()[1:])
    expect(int(fields["requests"]) > 0, f"requests {fields['requests']}")
    return fields


def wrk_threads_walk_from_their_place():
    paths = paths_of(40)
    rc, out, err, seqs = run_wrk(paths, 2, 2)
    expect(rc == 0, f"wrk exited {rc}: {err.strip()}")
    report_line(out)
    expect(len(seqs) == 2, f"{len(seqs)} connections")
    # wrk counts the pipelined requests with one request() call on its first
    # thread before the run: that thread starts one line later.
    starts = sorted(walks(s, paths) for s in seqs)
    expect(starts == [1, 20], f"threads started at lines {starts}")


def wrk_pipelined_walk():
    paths = paths_of(5)
    rc, out, err, seqs = run_wrk(paths, 1, 1, pipeline=3)
    expect(rc == 0, f"wrk exited {rc}: {err.strip()}")
    report_line(out)
    expect(walks(seqs[0], paths) == 3, "the first thread starts 3 lines (one batch) on")
    expect(len(seqs[0]) > 10, f"only {len(seqs[0])} requests")


TESTS = {
    "loadgen": [
        ("one connection walks the list", loadgen_one_connection_walks_the_list),
        ("connections start i*N/C apart", loadgen_connections_start_apart),
        ("pipelined batches wrap around the list", loadgen_pipelined_batches_wrap),
        ("bad --urls files exit 2 with one line", loadgen_bad_lists_exit_2),
        ("--urls wants the URL's path to be /", loadgen_urls_need_root_path),
        ("a class column: not sent, a count and p99 per class", loadgen_classes),
    ],
    "wrk": [
        ("wrk threads walk the list from their place", wrk_threads_walk_from_their_place),
        ("wrk pipelines consecutive paths", wrk_pipelined_walk),
    ],
}


def main():
    global LG, ROOT
    if len(sys.argv) != 4 or sys.argv[1] not in TESTS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    LG, ROOT = sys.argv[2], sys.argv[3]
    runner = Runner()
    for name, fn in TESTS[sys.argv[1]]:
        runner.check(name, fn)
    runner.exit()


if __name__ == "__main__":
    main()
