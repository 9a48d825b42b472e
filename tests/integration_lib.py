"""Building blocks of tests/integration.py: a raw HTTP/1.1 client, the server
process under test, the temporary docroot and the check runner.

Everything here talks to real sockets on 127.0.0.1 or ::1 and bounds every
socket operation with a timeout, so a hung server fails a check instead of
hanging the suite. Python standard library only.
"""

import email.utils
import os
import random
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import traceback

IO_TIMEOUT_S = 10.0       # any single connect, send or recv (generous: CI machines are loaded)
START_TIMEOUT_S = 20.0    # from exec to the "listening on" line (a loaded machine)
MAX_HEAD_BYTES = 65536    # a response head longer than this is a failure
SECRET = "c10k-lab-SECRET-7f3a9d1e-never-served"
FIXED_MTIME = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT, for Last-Modified
BIG_SIZE = 8 * 1024 * 1024

COUNTERS_RE = re.compile(
    r"^counters: accepted=(\d+) requests=(\d+) 1xx=(\d+) 2xx=(\d+) 3xx=(\d+)"
    r" 4xx=(\d+) 5xx=(\d+) bytes=(\d+) truncated=(\d+) refused=(\d+)$")
COUNTER_NAMES = ("accepted", "requests", "1xx", "2xx", "3xx", "4xx", "5xx",
                 "bytes", "truncated", "refused")
LISTEN_RE = re.compile(r"^listening on (?:(\d+\.\d+\.\d+\.\d+)|\[([0-9a-fA-F:]+)\]):(\d+)$")


class Fail(Exception):
    """A check found the server wrong (or could not talk to it)."""


class Skip(Exception):
    """A check does not apply; the message says why."""


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


def expect_eq(got, want, what):
    if got != want:
        raise Fail(f"{what}: got {short(got)}, want {short(want)}")


def wait_until(pred, timeout, step=0.05):
    """pred() until it returns something true or timeout s have passed;
    returns its last value. For the events a test waits for: a generous
    bound, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def short(v, n=120):
    """repr(v), cut to n characters for a one-line report."""
    r = repr(v)
    if len(r) <= n:
        return r
    size = f" ({len(v)} long)" if hasattr(v, "__len__") else ""
    return r[:n] + "..." + size


def parse_counters(line):
    m = COUNTERS_RE.match(line)
    if not m:
        return None
    return dict(zip(COUNTER_NAMES, (int(g) for g in m.groups())))


# --------------------------------------------------------------------------
# What the clients saw of one server instance, to compare with its counters.

class Traffic:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0   # connections opened
        self.bytes = 0         # bytes received
        self.responses = 0     # complete responses read
        self.aborted = 0       # responses the client abandoned on purpose

    def add(self, connections=0, nbytes=0, responses=0, aborted=0):
        with self.lock:
            self.connections += connections
            self.bytes += nbytes
            self.responses += responses
            self.aborted += aborted


# Where the secret string was seen in any response: always a failure.
SECRET_SEEN = []


# --------------------------------------------------------------------------
# Raw HTTP client.

class Response:
    def __init__(self, head, body):
        self.head = head
        self.body = body
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        m = re.match(r"^HTTP/(\d)\.(\d) (\d{3}) ?(.*)$", lines[0])
        if not m:
            raise Fail(f"bad status line {short(lines[0])}")
        self.version = f"{m.group(1)}.{m.group(2)}"
        self.status = int(m.group(3))
        self.reason = m.group(4)
        self.headers = []
        for ln in lines[1:]:
            if ln == "":
                continue
            name, sep, value = ln.partition(":")
            if not sep or not name or name != name.strip():
                raise Fail(f"bad response header line {short(ln)}")
            self.headers.append((name.lower(), value.strip()))

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def get(self, name):
        vals = self.all(name)
        return vals[0] if vals else None

    def __repr__(self):
        return f"<{self.status_line} {len(self.body)} body bytes>"


def request(path="/", method="GET", version="HTTP/1.1", headers=None,
            close=False, host="localhost", body=b""):
    """Builds a request head; headers is a list of (name, value)."""
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    for n, v in headers or []:
        lines.append(f"{n}: {v}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Conn:
    """One client connection with a read buffer; counts what it receives."""

    def __init__(self, server, timeout=IO_TIMEOUT_S):
        self.server = server
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False
        self.tail = b""
        self.sock = socket.socket(server.family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock.connect((server.host, server.port))
        except OSError as e:
            self.sock.close()
            raise Fail(f"connect to {server.host}:{server.port}: {e}")
        server.traffic.add(connections=1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def reset(self):
        """Closes with an RST instead of a FIN (SO_LINGER with zero time)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def send(self, data):
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Fail(f"send of {len(data)} bytes timed out after {self.timeout} s")
        except OSError as e:
            raise Fail(f"send: {e}")

    def _recv(self, what):
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise Fail(f"timed out after {self.timeout} s waiting for {what}"
                       f" (have {len(self.buf)} bytes {short(bytes(self.buf[:80]))};"
                       f" {self.server_side()})")
        except ConnectionResetError:
            raise Fail(f"connection reset while waiting for {what}")
        self.server.traffic.add(nbytes=len(data))
        if SECRET.encode() in self.tail + data:
            SECRET_SEEN.append(f"{what}")
        self.tail = data[-64:]
        if not data:
            self.eof = True
        return data

    def server_side(self):
        """What the kernel says about the server's end of this connection,
        to tell a hang in accept from a hang in reading or answering."""
        try:
            me = self.sock.getsockname()[1]
        except OSError:
            return "server side unknown"
        return tcp_state(self.server.port, me)

    def read_head(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = bytes(self.buf[:i + 4])
                del self.buf[:i + 4]
                return head
            expect(len(self.buf) <= MAX_HEAD_BYTES, "response head too long")
            data = self._recv("a response head")
            if not data:
                raise Fail("connection closed before a complete response head"
                           f" (got {short(bytes(self.buf[:200]))})")
            self.buf += data

    def read_exact(self, n, what="a response body"):
        out = bytearray()
        take = min(n, len(self.buf))
        out += self.buf[:take]
        del self.buf[:take]
        while len(out) < n:
            data = self._recv(what)
            if not data:
                raise Fail(f"connection closed after {len(out)} of {n} body bytes")
            need = n - len(out)
            out += data[:need]
            self.buf += data[need:]
        return bytes(out)

    def read_response(self, method="GET"):
        """Reads one response; a body is read by Content-Length, which every
        response that may have a body must carry."""
        r = Response(self.read_head(), b"")
        if method == "HEAD" or r.status // 100 == 1 or r.status in (204, 304):
            self.server.traffic.add(responses=1)
            return r
        cls = r.all("content-length")
        expect(len(cls) == 1, f"{r.status_line}: want one Content-Length, got {cls}")
        expect(re.fullmatch(r"\d+", cls[0]) is not None, f"bad Content-Length {cls[0]!r}")
        r.body = self.read_exact(int(cls[0]))
        self.server.traffic.add(responses=1)
        return r

    def expect_closed(self, timeout=IO_TIMEOUT_S, what="the server's close"):
        """Expects a clean close (FIN) with no further bytes within timeout."""
        expect(not self.buf, f"unexpected bytes after the response: {short(bytes(self.buf[:80]))}")
        if self.eof:
            return
        self.sock.settimeout(timeout)
        try:
            data = self._recv(what)
        finally:
            if self.sock:
                self.sock.settimeout(self.timeout)
        expect(not data, f"unexpected bytes instead of a close: {short(data[:80])}")

    def read_until_close(self, timeout=IO_TIMEOUT_S):
        """Everything until the server closes; a reset counts as a close."""
        deadline = time.monotonic() + timeout
        out = bytearray(self.buf)
        self.buf.clear()
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail(f"server did not close within {timeout} s")
            self.sock.settimeout(left)
            try:
                data = self._recv("the server's close")
            except Fail as e:
                if "reset" in str(e):
                    break
                raise
            out += data
        return bytes(out)


def tcp_sockets(port):
    """The sockets whose local port is port, from /proc/net/tcp{,6}: tuples
    (remote port, state as hex, tx queue, rx queue, inode). State "0A" is
    LISTEN (its rx queue is the accept queue); inode "0" is a socket no
    process holds (not accepted yet, or closed and left to the kernel)."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            col = row.split()
            if int(col[1].rsplit(":", 1)[1], 16) != port:
                continue
            tx, rx = (int(x, 16) for x in col[4].split(":"))
            yield int(col[2].rsplit(":", 1)[1], 16), col[3], tx, rx, col[9]


def tcp_state(server_port, client_port):
    """The server's socket for this client, and the listener's accept queue."""
    listen_q = None
    conn = None
    for rport, st, tx, rx, inode in tcp_sockets(server_port):
        if st == "0A":
            listen_q = rx
        elif rport == client_port:
            conn = (st, tx, rx, inode)
    if conn is None:
        return f"server side: no socket (listen queue {listen_q})"
    st, tx, rx, inode = conn
    if inode == "0":
        return f"server side: not accepted yet (listen queue {listen_q})"
    return (f"server side: accepted, {rx} request bytes unread, {tx} response bytes"
            f" unacknowledged, tcp state {st}")


# --------------------------------------------------------------------------
# The server under test.

ALL_SERVERS = []


class ServerGone(Exception):
    """The server exited before it was listening."""

    def __init__(self, rc, stdout, stderr):
        super().__init__(f"exited with status {rc} before listening;"
                         f" stdout {short(stdout)} stderr {short(stderr)}")
        self.rc, self.stdout, self.stderr = rc, stdout, stderr


class Server:
    def __init__(self, binary, docroot, workdir, bind="127.0.0.1", args=()):
        self.binary = binary
        self.docroot = docroot
        self.bind = bind
        self.args = list(args)
        self.family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.host = bind
        self.port = None
        self.traffic = Traffic()
        self.lines = []
        self.cond = threading.Condition()
        self.stdout_closed = False
        fd, self.stderr_path = tempfile.mkstemp(prefix="stderr-", dir=workdir)
        self.stderr_file = os.fdopen(fd, "wb")
        self.proc = None
        self.reader = None
        self.listen_line = None

    def start(self):
        cmd = [self.binary, "--port", "0", "--bind", self.bind,
               "--docroot", self.docroot] + self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr_file,
                                     start_new_session=True)
        ALL_SERVERS.append(self)
        self.reader = threading.Thread(target=self._read_stdout, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        with self.cond:
            while True:
                for ln in self.lines:
                    if ln.startswith("listening on"):
                        self.listen_line = ln
                        break
                if self.listen_line or self.stdout_closed:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
        if not self.listen_line:
            rc = self.wait_exit(1.0)
            if rc is not None:
                raise ServerGone(rc, "\n".join(self.lines), self.stderr_text())
            raise Fail(f"no 'listening on' line within {START_TIMEOUT_S} s;"
                       f" stdout {short(self.lines)} stderr {short(self.stderr_text())}")
        m = LISTEN_RE.match(self.listen_line)
        if not m:
            raise Fail(f"bad listening line {self.listen_line!r}")
        self.port = int(m.group(3))
        return self

    def _read_stdout(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.stdout_closed = True
            self.cond.notify_all()

    def wait_line(self, pred, start=0, timeout=3.0):
        """The first stdout line at index >= start satisfying pred, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ln in self.lines[start:]:
                    if pred(ln):
                        return ln
                left = deadline - time.monotonic()
                if left <= 0 or self.stdout_closed:
                    return None
                self.cond.wait(left)

    def stdout_eof(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.stdout_closed and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            return list(self.lines)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def listening(self):
        """False when a connect is refused: the server is gone or going (a
        crashing process may take a moment to exit, e.g. while dumping core)."""
        try:
            with socket.socket(self.family, socket.SOCK_STREAM) as s:
                s.settimeout(IO_TIMEOUT_S)
                s.connect((self.host, self.port))
            self.traffic.add(connections=1)
            return True
        except ConnectionRefusedError:
            return False
        except OSError:
            self.traffic.add(connections=1)
            return True

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr_text(self):
        try:
            self.stderr_file.flush()
            with open(self.stderr_path, "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self):
        """Kills the whole process group (fork and prefork leave children)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        # The reader thread sees EOF once the group is gone; closing the pipe
        # under it would make its read fail.
        if self.reader:
            self.reader.join(2.0)
        if self.proc.stdout and not (self.reader and self.reader.is_alive()):
            self.proc.stdout.close()
        self.stderr_file.close()


def kill_all_servers():
    for s in ALL_SERVERS:
        s.kill()


# --------------------------------------------------------------------------
# The temporary docroot.

MIME_CASES = [  # extension, expected media type (compared before any ';')
    ("html", "text/html"), ("css", "text/css"), ("js", "text/javascript"),
    ("json", "application/json"), ("txt", "text/plain"), ("svg", "image/svg+xml"),
    ("png", "image/png"), ("jpg", "image/jpeg"), ("gif", "image/gif"),
    ("ico", "image/vnd.microsoft.icon"), ("webp", "image/webp"), ("woff2", "font/woff2"),
    ("wasm", "application/wasm"), ("pdf", "application/pdf"),
    ("nosuchext", "application/octet-stream"),
]
SITE_FILES = ["index.html", "404.html", "favicon.ico", "css/site.css",
              "img/logo.png", "img/logo.svg", "models/index.html",
              "bench/1k.html", "bench/16k.html", "bench/256k.html",
              "bench/README.txt"]
PIPELINE_FILES = 20


def pipeline_body(i):
    return (f"pipeline file {i:02d}\n" * (i + 1)).encode()


def make_docroot(base, site_dir):
    """Builds base/www (the docroot) and base/secret (outside it). Returns a
    dict path -> bytes of every file the checks compare against."""
    www = os.path.join(base, "www")
    os.mkdir(www)
    files = {}

    def put(rel, data, mode=0o644):
        p = os.path.join(www, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        os.utime(p, (FIXED_MTIME, FIXED_MTIME))
        files["/" + rel] = data

    for rel in SITE_FILES:
        with open(os.path.join(site_dir, rel), "rb") as f:
            put(rel, f.read())
    put("big.bin", random.Random(10000).randbytes(BIG_SIZE))
    put("private.txt", b"only the owner may read this\n", 0o600)
    put("sub/index.html", b"<!DOCTYPE html>\n<title>sub</title>\n<p>the sub index</p>\n")
    put("sub/page.txt", b"a page inside sub\n")
    os.mkdir(os.path.join(www, "empty"))
    put("file with spaces.txt", b"a file whose name has spaces\n")
    put("inside-target.txt", b"reached through a symlink inside the root\n")
    os.symlink("inside-target.txt", os.path.join(www, "link-inside.txt"))
    files["/link-inside.txt"] = files["/inside-target.txt"]
    for i in range(PIPELINE_FILES):
        put(f"p/{i:02d}.txt", pipeline_body(i))
    for ext, _ in MIME_CASES:
        put(f"mime/t.{ext}", f"mime fixture .{ext}\n".encode())
    put("mime/noext", b"mime fixture without extension\n")

    secret = os.path.join(base, "secret")
    with open(secret, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(secret, 0o644)
    os.mkdir(os.path.join(base, "outside"))
    with open(os.path.join(base, "outside", "secret.txt"), "w") as f:
        f.write(SECRET + "\n")
    os.symlink(secret, os.path.join(www, "escape-abs.txt"))
    os.symlink("../secret", os.path.join(www, "escape-rel.txt"))
    os.symlink(os.path.join(base, "outside"), os.path.join(www, "escape-dir"))
    for d in ("", "sub", "empty", "p", "mime", "css", "img", "models", "bench"):
        os.utime(os.path.join(www, d), (FIXED_MTIME, FIXED_MTIME))
    return www, files


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


# --------------------------------------------------------------------------
# The check runner: one line per check, a summary at the end.

class Runner:
    def __init__(self, model, budget_s, only=()):
        self.model = model
        self.t0 = time.monotonic()
        self.deadline = self.t0 + budget_s
        self.counts = {"ok": 0, "not ok": 0, "skip": 0}
        self.after_each = None   # hook run after every check (server liveness)
        self.only = only         # run only checks whose name contains one of these

    def selected(self, name):
        return not self.only or any(text in name for text in self.only)

    def report(self, kind, name, detail=""):
        self.counts[kind] += 1
        print(f"{kind} - {name}" + (f": {detail}" if detail else ""), flush=True)

    def skip(self, name, reason):
        self.report("skip", name, reason)

    def run(self, name, fn, *args, always=False, **kw):
        if not self.selected(name):
            return True
        if time.monotonic() > self.deadline and not always:
            self.report("not ok", name, "not run: the suite's time budget is used up")
            return False
        t = time.monotonic()
        try:
            fn(*args, **kw)
            ok = True
            self.report("ok", name)
        except Skip as e:
            ok = True
            self.report("skip", name, str(e))
        except Fail as e:
            ok = False
            self.report("not ok", name, str(e))
        except Exception as e:  # a bug in the check, or an OS error
            ok = False
            tb = traceback.extract_tb(e.__traceback__)[-1]
            self.report("not ok", name, f"{type(e).__name__}: {e} (line {tb.lineno})")
        if time.monotonic() - t > 10:
            print(f"# {name} took {time.monotonic() - t:.1f} s", flush=True)
        if self.after_each:
            self.after_each(name, ok)
        return ok

    def summary(self):
        c = self.counts
        total = sum(c.values())
        print(f"# {self.model}: {total} checks, {c['ok']} ok, {c['not ok']} not ok,"
              f" {c['skip']} skipped in {time.monotonic() - self.t0:.1f} s", flush=True)
        return 1 if c["not ok"] else 0
