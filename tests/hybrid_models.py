#!/usr/bin/env python3
"""What the hybrid models add to the shared contract (tests/integration.py):
the --workers option and, for prefork, the supervising parent.

    python3 tests/hybrid_models.py build/servers/prefork build/servers/reuseport \\
        build/servers/threadpool

Any subset of the three binaries may be given; the model is the basename.
Every server listens on 127.0.0.1 port 0, serves the repository's html/, and
is killed (its whole process group) at the end whatever happens. Output is
one line per check ("ok - name" or "not ok - name: detail") and a summary;
the exit status is 1 if any check failed.
"""

import http.client
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_lib import wait_until  # noqa: E402

DOCROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html")
# Bounds on waits for events, far above what a loaded machine needs: each
# wait returns as soon as its event happens.
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0    # the servers' grace is 5 s; an idle server stops at once
EVENT_S = 10.0           # a counters line, a worker (re)started or gone, a stderr line
COUNTERS_RE = re.compile(r"^counters: accepted=(\d+) requests=(\d+) ")


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


class Server:
    """One server process in its own session, so that killing its process
    group also kills prefork's workers."""
    running = []

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--bind", "127.0.0.1", "--docroot", DOCROOT, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        Server.running.append(self)
        self.pid = self.proc.pid
        line = self.read_line(self.proc.stdout, START_TIMEOUT_S)
        m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)", line or "")
        expect(m, f"no listening line within {START_TIMEOUT_S} s (got {line!r})")
        self.port = int(m.group(1))

    @staticmethod
    def read_line(pipe, timeout):
        """One line from a pipe, or None after timeout (no thread needed:
        the servers write whole lines and flush them)."""
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                return None
            b = os.read(pipe.fileno(), 1)
            if not b:
                return None
            buf += b
        return buf.decode().rstrip("\n")

    def stderr_line(self, timeout):
        return self.read_line(self.proc.stderr, timeout)

    def counters(self, sig=signal.SIGUSR1):
        """Sends sig and returns (accepted, requests) from the counters line."""
        os.kill(self.pid, sig)
        line = self.read_line(self.proc.stdout, EVENT_S)
        m = COUNTERS_RE.match(line or "")
        expect(m, f"no counters line within {EVENT_S} s of {sig.name} (got {line!r})")
        return int(m.group(1)), int(m.group(2))

    def stop(self):
        """SIGTERM: want exit 0 and the counters line; returns (accepted, requests)."""
        got = self.counters(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise Fail(f"still running {STOP_TIMEOUT_S} s after SIGTERM")
        expect(rc == 0, f"exit status {rc} after SIGTERM")
        return got

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def get(port, path="/index.html"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=EVENT_S)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def get_many(port, clients, each):
    """clients keep-alive connections in parallel, each doing `each` GETs;
    returns the number of 200 responses."""
    ok = [0] * clients

    def client(i):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=EVENT_S)
        try:
            for _ in range(each):
                c.request("GET", "/bench/1k.html")
                r = c.getresponse()
                r.read()
                ok[i] += r.status == 200
        except OSError:
            pass
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return sum(ok)


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    # The name in parentheses may hold spaces: split after it.
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return sorted(kids)


def threads_of(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------- checks

def check_bad_workers(binary, value):
    p = subprocess.run([binary, "--port", "0", "--docroot", DOCROOT, "--workers", value],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=STOP_TIMEOUT_S)
    expect(p.returncode == 2, f"exit status {p.returncode}, want 2")
    lines = [ln for ln in p.stderr.decode().splitlines() if ln.strip()]
    expect(len(lines) == 1, f"want one line on stderr, got {lines}")
    expect(b"listening" not in p.stdout, f"it listened: {p.stdout!r}")


def check_workers(binary, model, n):
    """--workers n: n worker processes or threads, all serving; the counters
    line after SIGTERM adds up every worker's requests."""
    srv = Server(binary, "--workers", str(n))
    if model == "prefork":
        kids = wait_until(lambda: len(children(srv.pid)) == n and children(srv.pid), EVENT_S)
        expect(kids and len(kids) == n, f"{len(children(srv.pid))} worker processes, want {n}")
    else:
        # Main thread + n, started after the listening line; a sanitizer
        # may add a thread of its own.
        wait_until(lambda: threads_of(srv.pid) > n, EVENT_S)
        t = threads_of(srv.pid)
        expect(n + 1 <= t <= n + 2, f"{t} threads, want {n} + the main thread")
    clients, each = 4 * n, 5
    served = get_many(srv.port, clients, each)
    expect(served == clients * each, f"{served} of {clients * each} requests served")
    accepted, requests = srv.stop()
    expect((accepted, requests) == (clients, clients * each),
           f"counters accepted={accepted} requests={requests},"
           f" want {clients} and {clients * each}")
    if model == "prefork":
        left = [k for k in kids if alive(k)]
        expect(not left, f"workers {left} still running after the parent exited")


def check_prefork_replaces(binary):
    """kill -9 of one of three workers: one line on stderr naming it, a new
    worker within a second, serving throughout; counters still add up."""
    srv = Server(binary, "--workers", "3")
    kids = wait_until(lambda: len(children(srv.pid)) == 3 and children(srv.pid), EVENT_S)
    expect(kids, f"{len(children(srv.pid))} worker processes, want 3")
    before = get_many(srv.port, 6, 5)
    victim = kids[0]
    os.kill(victim, signal.SIGKILL)
    line = srv.stderr_line(EVENT_S)
    expect(line is not None and str(victim) in line,
           f"want one line on stderr naming worker {victim}, got {line!r}")
    now = wait_until(lambda: (len(children(srv.pid)) == 3 and victim not in children(srv.pid)
                            and children(srv.pid)), EVENT_S)
    expect(now, f"workers after the kill: {children(srv.pid)} (killed {victim})")
    after = get_many(srv.port, 6, 5)
    expect(before + after == 60, f"{before} + {after} of 60 requests served")
    _, requests = srv.counters()
    expect(requests == 60, f"counters requests={requests} after SIGUSR1, want 60")
    accepted, requests = srv.stop()
    expect(requests == 60, f"counters requests={requests} after SIGTERM, want 60")
    left = [k for k in now if alive(k)]
    expect(not left, f"workers {left} still running after the parent exited")


def check_prefork_lone_worker(binary):
    """--workers 1 and that worker killed: serving resumes (a worker that
    lived less than a second is replaced a second after it started)."""
    srv = Server(binary, "--workers", "1")
    kids = wait_until(lambda: children(srv.pid), EVENT_S)
    expect(len(kids) == 1, f"workers {kids}, want one")
    os.kill(kids[0], signal.SIGKILL)
    expect(srv.stderr_line(EVENT_S) is not None, "no line on stderr about the dead worker")
    status, _ = get(srv.port)  # waits in the listen queue for the new worker
    expect(status == 200, f"status {status} after the replacement")
    srv.stop()


def check_prefork_orphans_stop(binary):
    """kill -9 of the parent: the workers stop by themselves (PDEATHSIG)."""
    srv = Server(binary, "--workers", "2")
    kids = wait_until(lambda: len(children(srv.pid)) == 2 and children(srv.pid), EVENT_S)
    expect(kids, f"{len(children(srv.pid))} worker processes, want 2")
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait()
    left = wait_until(lambda: not any(alive(k) for k in kids), EVENT_S)
    expect(left, f"workers {[k for k in kids if alive(k)]} outlived their parent by {EVENT_S} s")


def main(argv):
    binaries = [os.path.abspath(b) for b in argv[1:]]
    if not binaries:
        print(f"usage: {argv[0]} BINARY...", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # meson's timeout
    checks = []
    for b in binaries:
        model = os.path.basename(b)
        for v in ("0", "abc"):
            checks.append((f"{model}: --workers {v} is rejected, exit 2",
                           check_bad_workers, b, v))
        for n in (1, 3):
            checks.append((f"{model}: --workers {n} serves, SIGTERM sums the counters",
                           check_workers, b, model, n))
        if model == "prefork":
            checks += [
                ("prefork: a worker killed with SIGKILL is replaced, serving goes on",
                 check_prefork_replaces, b),
                ("prefork: the only worker killed, serving resumes",
                 check_prefork_lone_worker, b),
                ("prefork: workers stop when the parent is killed",
                 check_prefork_orphans_stop, b),
            ]
    failed = 0
    t0 = time.monotonic()
    try:
        for name, fn, *args in checks:
            try:
                fn(*args)
                print(f"ok - {name}", flush=True)
            except (Fail, OSError, subprocess.TimeoutExpired) as e:
                failed += 1
                print(f"not ok - {name}: {e}", flush=True)
            finally:
                while Server.running:
                    Server.running.pop().kill()
    finally:
        while Server.running:
            Server.running.pop().kill()
    print(f"# {len(checks)} checks, {len(checks) - failed} ok, {failed} not ok"
          f" in {time.monotonic() - t0:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
