#!/usr/bin/env python3
"""The uring model's features and every fallback, for one binary:

    python3 tests/uring_features.py build/servers/uring build/tests/seccomp_exec

Each case starts its own server on 127.0.0.1 port 0 and checks what the
start-up line after "listening on" says is on and off, then that the server
answers correctly through that path: a small file, a cached 16 KiB body, a
256 KiB body (read from the file through the ring into a body buffer, then
sent), three pipelined requests, a 404 (a closing response:
the half-close), 20,000 pipelined requests in one send (740 KB, far more
than the core's buffer: a multishot receive must stop and hand over what it
took in order), and SIGTERM's counters line.

  - as the kernel offers it; --version names the same features;
  - each feature the kernel accepted, switched off alone (URING_OFF=name),
    and all of them at once: the line says "name (URING_OFF)";
  - registrations the kernel refuses, forced with a seccomp filter that
    makes io_uring_register fail with EINVAL for one opcode (the ring's own
    descriptor, the registered file table, the opcode probe): the line says
    "name (kernel)"; the provided buffer ring refused: exit 69, one line;
  - zero-copy sends forced for every body (URING_ZC_MIN=0), whose
    notifications then decide when the core hears of a send;
  - more large bodies at once than the ring has body buffers (BODY_BUFS),
    to clients that do not read yet: the rest take buffers of the heap, a
    newcomer's large body is not held up by them, and every body arrives
    whole, with registered buffers and without; and no io-wq
    worker thread (iou-wrk-*) appears in the server, where the docroot's
    file system has the kernel's async buffered reads (ext4, xfs, btrfs);
  - a SIGTERM with 50 idle keep-alive connections closes them without an
    io-wq worker (no IORING_OP_SHUTDOWN, which io_uring always punts);
  - a bad URING_OFF or URING_ZC_MIN: exit 2 with one line on stderr.

Output: "ok - name" / "not ok - name: why" / "skip - name: why"; exit 1 if
any case failed, 77 when io_uring is unavailable here. About 10 s.
"""

import errno
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

DOCROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html")
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 15.0    # the grace after SIGTERM is 5 s
IO_TIMEOUT_S = 10.0
EXIT_UNAVAILABLE = 69
EXIT_SKIP = 77
NR_IO_URING_REGISTER = 427  # the same number on every architecture
# io_uring_register opcodes (include/uapi/linux/io_uring.h)
REGISTER = {"buffers": 0, "probe": 8, "files2": 13, "ring_fds": 20, "pbuf_ring": 22}
FEATURE_RE = re.compile(r"^uring: features (?P<on>[^;]*)(?:; off: (?P<off>[^;]*))?"
                        r"(?:; (?P<zc>send_zc .*))?$")
FILES = ["/index.html", "/bench/16k.html", "/bench/256k.html"]
BURST_REQUESTS = 20000   # 740 KB of requests in one send
LARGE = "/bench/256k.html"
LARGE_CONNS = 48         # more than BODY_BUFS (32, uring_ring.h)
LARGE_EACH = 2           # pipelined requests per connection
ASYNC_READ_FS = ("ext4", "xfs", "btrfs")  # FMODE_BUF_RASYNC: reads without io-wq


class Fail(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


def parse_features(line):
    m = FEATURE_RE.match(line or "")
    expect(m, f"bad features line {line!r}")
    on = [] if m.group("on") == "none" else m.group("on").split()
    off = {}
    for item in (m.group("off") or "").split(","):
        item = item.strip()
        if item:
            name, why = re.fullmatch(r"(\S+) \(([^)]*)\)", item).groups()
            off[name] = why
    return on, off, m.group("zc") or ""


class Server:
    def __init__(self, binary, env=None, wrap=()):
        self.proc = subprocess.Popen(
            [*wrap, binary, "--port", "0", "--docroot", DOCROOT],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})}, start_new_session=True)
        self.lines = []
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(self.lines) < 2 and time.monotonic() < deadline:
            raw = self.proc.stdout.readline()
            if not raw:
                break
            self.lines.append(raw.decode().rstrip("\n"))
        if not self.lines or not self.lines[0].startswith("listening on "):
            rc = self.proc.wait(5)
            err = self.proc.stderr.read().decode()
            raise Fail(f"did not start: status {rc}, stdout {self.lines}, stderr {err!r}")
        self.port = int(self.lines[0].rsplit(":", 1)[1])
        self.features = self.lines[1] if len(self.lines) > 1 else None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out.decode(), err.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def read_response(sock, buf):
    """One response from sock (buf: bytes already read). Returns (status,
    headers, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        expect(chunk, f"connection closed before a response head ({len(buf)} bytes)")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        chunk = sock.recv(65536)
        expect(chunk, f"connection closed after {len(buf)} of {n} body bytes")
        buf += chunk
    return status, headers, buf[:n], buf[n:]


def file_bytes(path):
    with open(os.path.join(DOCROOT, path.lstrip("/")), "rb") as f:
        return f.read()


def get(path, close=False):
    conn = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{conn}\r\n".encode()


def burst(srv, n=BURST_REQUESTS):
    """n pipelined requests in one send, far more than the core's buffer,
    read as they come: a multishot receive must stop and hand over what it
    took in order."""
    req = get("/index.html")
    want = file_bytes("/index.html")
    got = []
    with socket.create_connection(("127.0.0.1", srv.port), timeout=IO_TIMEOUT_S) as s:
        def read_all():
            rest = b""
            try:
                for _ in range(n):
                    status, _, body, rest = read_response(s, rest)
                    got.append(status == 200 and body == want)
            except (Fail, OSError):
                pass
        reader = threading.Thread(target=read_all, daemon=True)
        reader.start()
        s.sendall(req * n)
        reader.join(IO_TIMEOUT_S * 3)
    expect(len(got) == n and all(got),
           f"{len(got)} of {n} pipelined responses ({len(req) * n} bytes sent)")


def serves(srv):
    """The paths a model must get right, whatever the ring does."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=IO_TIMEOUT_S) as s:
        rest = b""
        for path in FILES:  # one keep-alive connection: recv, send, a body read
            s.sendall(get(path))
            status, _, body, rest = read_response(s, rest)
            expect(status == 200 and hashlib.sha256(body).digest() ==
                   hashlib.sha256(file_bytes(path)).digest(), f"GET {path}: {status}")
        s.sendall(b"".join(get(p) for p in FILES))  # pipelined, in one send
        for path in FILES:
            status, _, body, rest = read_response(s, rest)
            expect(status == 200 and body == file_bytes(path), f"pipelined {path}: {status}")
        s.sendall(get("/no-such-file"))  # an error closes: the half-close
        status, headers, _, rest = read_response(s, rest)
        expect(status == 404, f"GET /no-such-file: {status}")
        s.settimeout(IO_TIMEOUT_S)
        expect(s.recv(1) == b"", "the connection stayed open after a 404")
    burst(srv)
    rc, out, err = srv.stop()
    expect(rc == 0, f"exit status {rc} after SIGTERM, stderr {err!r}")
    want = f"requests={7 + BURST_REQUESTS} "
    expect(want in out, f"counters after {7 + BURST_REQUESTS} responses: {out!r}")


def fs_type(path):
    """The file system type of the mount that holds path (/proc/self/mountinfo)."""
    path, best, kind = os.path.realpath(path), "", "?"
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point, fstype = fields[4], fields[fields.index("-") + 1]
            if (path == point or path.startswith(point.rstrip("/") + "/")) and \
                    len(point) >= len(best):
                best, kind = point, fstype
    return kind


def io_workers(pid):
    """The server's io_uring worker threads (io-wq: comm iou-wrk-PID)."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                n += f.read().startswith("iou-wrk")
        except OSError:
            pass
    return n


def many_large(srv):
    """LARGE_CONNS clients with a tiny receive buffer ask for large bodies and
    read nothing until all have asked: each holds a body buffer while its
    socket is full, those beyond BODY_BUFS one of the heap; meanwhile a
    newcomer gets its large body whole."""
    want = file_bytes(LARGE)
    socks, workers = [], 0
    try:
        for _ in range(LARGE_CONNS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(IO_TIMEOUT_S)
            s.connect(("127.0.0.1", srv.port))
            s.sendall(get(LARGE) * LARGE_EACH)
            socks.append(s)
            workers = max(workers, io_workers(srv.proc.pid))
        with socket.create_connection(("127.0.0.1", srv.port), timeout=IO_TIMEOUT_S) as s:
            s.sendall(get(LARGE))
            status, _, body, _ = read_response(s, b"")
            expect(status == 200 and body == want,
                   f"a newcomer behind {LARGE_CONNS} stalled clients: {status}, {len(body)} bytes")
        for i, s in enumerate(socks):
            rest = b""
            for k in range(LARGE_EACH):
                status, _, body, rest = read_response(s, rest)
                expect(status == 200 and body == want,
                       f"connection {i}, response {k}: {status}, {len(body)} bytes")
            workers = max(workers, io_workers(srv.proc.pid))
    finally:
        for s in socks:
            s.close()
    fs = fs_type(DOCROOT)
    if fs in ASYNC_READ_FS:
        expect(workers == 0, f"{workers} io-wq worker threads while serving from {fs}")
    return f"{LARGE_CONNS} x {LARGE_EACH} x {len(want)} bytes, {workers} io-wq workers ({fs})"


def check_large(binary, env):
    srv = Server(binary, env=env)
    try:
        detail = many_large(srv)
        rc, _, err = srv.stop()
        expect(rc == 0, f"exit status {rc} after SIGTERM, stderr {err!r}")
        return detail
    finally:
        srv.kill()


def stop_idle(binary):
    """SIGTERM with idle keep-alive connections: each has a receive armed,
    which the stop cancels; no shutdown, so no io-wq worker (io_uring runs
    every IORING_OP_SHUTDOWN on one)."""
    srv = Server(binary)
    socks, most = [], 0
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=IO_TIMEOUT_S)
            s.sendall(get("/bench/1k.html"))
            read_response(s, b"")
            socks.append(s)
        srv.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while srv.proc.poll() is None and time.monotonic() < deadline:
            try:
                most = max(most, io_workers(srv.proc.pid))
            except OSError:
                break  # gone between the poll and the look
            time.sleep(0.001)
        expect(srv.proc.wait(STOP_TIMEOUT_S) == 0, f"exit status {srv.proc.returncode}")
        expect(most == 0, f"{most} io-wq worker threads while closing idle connections")
        return "50 idle connections closed, no io-wq worker"
    finally:
        for s in socks:
            s.close()
        srv.kill()


def case(name, fn, results):
    try:
        detail = fn()
        print(f"ok - {name}" + (f" ({detail})" if detail else ""))
    except Fail as e:
        print(f"not ok - {name}: {e}")
        results.append(name)
    sys.stdout.flush()


def check_default(binary):
    srv = Server(binary)
    try:
        on, off, zc = parse_features(srv.features)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
        m = re.search(r"io_uring features: ([^;\n]*)", version)
        expect(m and m.group(1).split() == on, f"--version {version!r} against {on}")
        expect(not any(why == "URING_OFF" for why in off.values()), f"off: {off}")
        serves(srv)
        return " ".join(on) + (f"; off: {off}" if off else "")
    finally:
        srv.kill()


def check_off(binary, names, want_off, want_on=(), also_off=None):
    srv = Server(binary, env={"URING_OFF": names})
    try:
        on, off, _ = parse_features(srv.features)
        for name in want_off:
            expect(name not in on and off.get(name) == "URING_OFF",
                   f"{name} not reported off by URING_OFF: {srv.features!r}")
        for name, why in (also_off or {}).items():
            expect(name not in on and off.get(name) == why,
                   f"{name} not reported off ({why}): {srv.features!r}")
        for name in want_on:
            expect(name in on, f"{name} should replace it: {srv.features!r}")
        serves(srv)
        return " ".join(on) or "no optional feature"
    finally:
        srv.kill()


def check_refused(binary, seccomp, opcode, feature):
    rule = f"{NR_IO_URING_REGISTER}:{opcode}:{errno.EINVAL}"
    srv = Server(binary, wrap=(seccomp, rule, "--"))
    try:
        on, off, _ = parse_features(srv.features)
        expect(feature not in on and off.get(feature) == "kernel",
               f"{feature} not reported refused by the kernel: {srv.features!r}")
        serves(srv)
        return " ".join(on)
    finally:
        srv.kill()


def check_exit(binary, wrap, env, status, want):
    p = subprocess.run([*wrap, binary, "--port", "0", "--docroot", DOCROOT],
                       capture_output=True, text=True, timeout=30,
                       env={**os.environ, **env})
    lines = p.stderr.splitlines()
    expect(p.returncode == status and len(lines) == 1 and want in lines[0] and
           "listening" not in p.stdout,
           f"status {p.returncode}, stdout {p.stdout!r}, stderr {p.stderr!r}")
    return lines[0]


def check_zc(binary):
    srv = Server(binary, env={"URING_ZC_MIN": "0"})
    try:
        on, _, zc = parse_features(srv.features)
        if "send_zc" not in on:
            return "skip: the kernel has no zero-copy send"
        expect(zc == "send_zc from 0 bytes", f"zero-copy not forced: {srv.features!r}")
        serves(srv)
        return zc
    finally:
        srv.kill()


def seccomp_works(seccomp):
    p = subprocess.run([seccomp, f"{NR_IO_URING_REGISTER}:999:{errno.EINVAL}", "--",
                        "/bin/true"], capture_output=True)
    return p.returncode == 0


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} build/servers/uring build/tests/seccomp_exec", file=sys.stderr)
        return 2
    binary, seccomp = argv[1], argv[2]
    probe = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    if "io_uring unavailable" in probe.stdout:
        print(f"skip - {probe.stdout.strip()}")
        return EXIT_SKIP
    failed = []
    on = re.search(r"io_uring features: ([^;\n]*)", probe.stdout).group(1).split()
    case("as the kernel offers it", lambda: check_default(binary), failed)
    for name in on:
        # Without DEFER_TASKRUN, COOP_TASKRUN is the fallback; DEFER_TASKRUN
        # needs SINGLE_ISSUER.
        then = ["coop_taskrun"] if name in ("single_issuer", "defer_taskrun") else []
        also = ({"defer_taskrun": "needs single_issuer"}
                if name == "single_issuer" and "defer_taskrun" in on else {})
        case(f"URING_OFF={name}",
             lambda n=name, t=then, a=also: check_off(binary, n, [n], t, a), failed)
    case("URING_OFF=all", lambda: check_off(binary, "all", on), failed)
    case("URING_ZC_MIN=0: every body sent zero-copy", lambda: check_zc(binary), failed)
    case("more large bodies at once than body buffers", lambda: check_large(binary, {}), failed)
    case("a stop with idle connections: no io-wq worker", lambda: stop_idle(binary), failed)
    case("... with URING_OFF=read_fixed",
         lambda: check_large(binary, {"URING_OFF": "read_fixed"}), failed)
    case("URING_OFF=bogus: exit 2, one line",
         lambda: check_exit(binary, (), {"URING_OFF": "bogus"}, 2, "URING_OFF"), failed)
    case("URING_ZC_MIN=abc: exit 2, one line",
         lambda: check_exit(binary, (), {"URING_ZC_MIN": "abc"}, 2, "URING_ZC_MIN"), failed)
    if not seccomp_works(seccomp):
        print("skip - registrations refused by the kernel: seccomp filters unavailable here")
    else:
        for opcode, feature in (("ring_fds", "registered_ring"), ("files2", "direct_fds"),
                                ("probe", "send_zc"), ("buffers", "read_fixed")):
            if feature in on:
                case(f"io_uring_register({opcode}) refused: {feature} off",
                     lambda o=opcode, f=feature: check_refused(binary, seccomp, REGISTER[o], f),
                     failed)
        rule = f"{NR_IO_URING_REGISTER}:{REGISTER['pbuf_ring']}:{errno.EINVAL}"
        case("io_uring_register(pbuf_ring) refused: exit 69, one line",
             lambda: check_exit(binary, (seccomp, rule, "--"), {}, EXIT_UNAVAILABLE,
                                "uring: io_uring unavailable: provided buffer ring"), failed)
    print(f"# uring features: {len(failed)} not ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
