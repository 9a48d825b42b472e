"""Building blocks of tests/loadgen.py: the calibration server and a small
Python HTTP/1.1 server as targets, running loadgen and wrk, reading
loadgen's result line and histogram lines, the check runner.

Everything listens on 127.0.0.1 port 0, every process is started in its own
session and killed by PID at the end, every wait is bounded. Python standard
library only.
"""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

START_TIMEOUT_S = 10.0   # from exec to the "listening on" line
RUN_SLACK_S = 30.0       # a run may take this much longer than its own duration (loaded CI)
COUNTERS_RE = re.compile(r"^counters: accepted=(\d+) requests=(\d+) ")
HIST_SUB = 128           # sub-buckets per power of two (loadgen/hist.h)


class Fail(Exception):
    """A check found loadgen wrong."""


class Skip(Exception):
    """A check cannot run here; the message says why."""


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


def read_line(pipe, timeout):
    """One line from a pipe within timeout, or None (the servers flush whole lines)."""
    ready, _, _ = select.select([pipe], [], [], timeout)
    return pipe.readline().decode().strip() if ready else None


def priority_prefix():
    """What to run a latency-sensitive command under so that it wins the CPU
    over other load on the machine: with two CPU hogs beside it (stress-ng
    --cpu 2) a wake-up otherwise waits for a scheduler slice (ms), which a
    p99 bound would measure. SCHED_FIFO 1 (chrt) where permitted: loadgen and
    the calibration server sleep between events and every run is bounded,
    and the kernel keeps 5% for others anyway (sched_rt_runtime_us); else
    nice -10; else nothing."""
    for prefix in (["chrt", "-f", "1"], ["nice", "-n", "-10"]):
        try:
            if subprocess.run([*prefix, "true"], stderr=subprocess.DEVNULL).returncode == 0:
                return prefix
        except OSError:
            pass
    return []


class Calibration:
    """build/bench/calibration on 127.0.0.1:0; prefix runs it (taskset, nice)."""

    def __init__(self, binary, *args, prefix=()):
        cmd = [*prefix, binary, "--port", "0", "--bind", "127.0.0.1", *args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     start_new_session=True)
        line = read_line(self.proc.stdout, START_TIMEOUT_S) or ""
        m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise Fail(f"calibration: no listening line within {START_TIMEOUT_S} s (got {line!r})")
        self.url = f"http://127.0.0.1:{m.group(1)}/"

    def counters(self):
        """accepted and requests from the counters line SIGUSR1 prints."""
        os.kill(self.proc.pid, signal.SIGUSR1)
        line = read_line(self.proc.stdout, START_TIMEOUT_S) or ""
        m = COUNTERS_RE.match(line)
        expect(m, f"calibration: no counters line after SIGUSR1 (got {line!r})")
        return {"accepted": int(m.group(1)), "requests": int(m.group(2))}

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run(cmd, timeout):
    """Runs cmd to completion (killed after timeout); returns (rc, stdout, stderr)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.communicate()
        raise Fail(f"{os.path.basename(cmd[0])} still running after {timeout:.0f} s: {cmd}")
    return p.returncode, out.decode(), err.decode()


def parse_result(line):
    """loadgen's last line into a dict of numbers (mode stays a string)."""
    r = {}
    for field in line.split():
        key, _, value = field.partition("=")
        if key == "mode":
            r[key] = value
        else:
            r[key] = float(value) if "." in value else int(value)
    return r


def loadgen(binary, url, *args, duration, log=True, prefix=()):
    """Runs loadgen (exit 0 required); returns (result dict, stdout lines)."""
    rc, out, err = run([*prefix, binary, *args, url], duration + RUN_SLACK_S)
    lines = out.strip().splitlines()
    if log:
        print(f"  loadgen {' '.join(args)}\n    {lines[-1] if lines else '(no output)'}")
        for line in err.strip().splitlines():
            print(f"    stderr: {line}")
    expect(rc == 0 and lines, f"loadgen exited {rc}: {err.strip()}")
    return parse_result(lines[-1]), lines


def bucket_low(i):
    """(lowest value, width) of histogram bucket i, as harness/README.md documents."""
    if i < HIST_SUB:
        return i, 1
    g = i // HIST_SUB - 1
    return (i - HIST_SUB * g) << g, 1 << g


def parse_hist(line):
    """A "hist name=..." line into a dict; buckets as {index: count}."""
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    h = {k: int(v) for k, v in fields.items() if k not in ("name", "buckets")}
    h["name"] = fields["name"]
    h["buckets"] = {}
    for pair in filter(None, fields["buckets"].split(",")):
        i, c = pair.split(":")
        h["buckets"][int(i)] = int(c)
    return h


def hist_percentile(h, pct):
    """The documented rule: the bucket holding rank ceil(pct% of count), its
    midpoint, kept within [min, max]; ns."""
    if h["count"] == 0:
        return 0
    if pct >= 100:
        return h["max_ns"]
    rank = max(1, -(-int(round(pct * h["count"] * 1000)) // 100000))
    seen = 0
    for i in sorted(h["buckets"]):
        seen += h["buckets"][i]
        if seen >= rank:
            low, width = bucket_low(i)
            return min(max(low + width // 2, h["min_ns"]), h["max_ns"])
    return h["max_ns"]


def us(ns):
    return (ns + 500) // 1000


def within(got, want, rel):
    return abs(got - want) <= rel * want


class Runner:
    """Runs named checks, prints "ok - name" or "not ok - name: why", exits
    1 if any failed, 77 if all were skipped."""

    def __init__(self):
        self.failed = self.passed = self.skipped = 0

    def check(self, name, fn, *args):
        try:
            fn(*args)
            print(f"ok - {name}")
            self.passed += 1
        except Skip as e:
            print(f"ok - {name} # SKIP {e}")
            self.skipped += 1
        except Fail as e:
            print(f"not ok - {name}: {e}")
            self.failed += 1
        except Exception:  # a bug in the test itself: show where
            print(f"not ok - {name}: {traceback.format_exc()}")
            self.failed += 1
        sys.stdout.flush()

    def exit(self):
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        if self.failed:
            sys.exit(1)
        sys.exit(77 if self.skipped and not self.passed else 0)


class PyServer:
    """A small threaded HTTP/1.1 server; the request path picks the answer:
    /missing 404 (keep-alive), /close "Connection: close" then closes,
    /closeidle closes after each response without saying so, /eof an
    HTTP/1.0 body delimited by the close, /chunked a chunked body written in
    three pieces (so that loadgen reads it split), /silent never answers.
    `answered` counts complete responses written, per path."""

    CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
               b"7;ext=1\r\nchunked\r\nBB8\r\n" + b"x" * 3000,
               b"\r\n0\r\nX-Trailer: yes\r\n\r\n")

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.lock = threading.Lock()
        self.answered = {}
        self.conns = []
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def count(self, path):
        with self.lock:
            self.answered[path] = self.answered.get(path, 0) + 1

    def serve(self, conn):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                if not self.answer(conn, path):
                    return
        except OSError:
            return
        finally:
            conn.close()

    def answer(self, conn, path):
        """Writes the answer for path; False when the connection is to close."""
        if path == "/silent":
            time.sleep(3600)
        if path == "/chunked":
            for i, piece in enumerate(self.CHUNKED):
                conn.sendall(piece)
                if i < 2:
                    time.sleep(0.001)
        elif path == "/eof":
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"y" * 1000)
        elif path == "/close":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        elif path == "/closeidle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
        self.count(path)
        return path not in ("/eof", "/close", "/closeidle")

    def stop(self):
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
