#!/usr/bin/env python3
"""Integration suite for one server binary, run by meson once per model:

    python3 tests/integration.py build/servers/epoll

It builds a temporary docroot (copies of html/ plus fixtures), starts the
binary on 127.0.0.1 port 0, checks the server contract over raw sockets, and
stops it with SIGTERM. Some checks use their own server instance (exact
counters, short timeouts, a stop during a transfer, IPv6). Output is one line
per check ("ok - name", "not ok - name: detail", "skip - name: reason") and a
summary; the exit status is 1 if any check failed, 77 (meson's skip) if the
model cannot run on this machine (io_uring unavailable), else 0.

One check, or a few, by name: --check TEXT runs only the checks whose name
(as printed after "ok - ") contains TEXT; it may be given more than once.
A TEXT that names no check is an error (exit 2):

    python3 tests/integration.py build/servers/epoll --check "HEAD has GET"
    meson test -C build integration-epoll --test-args='--check "HEAD has GET"'

The model is the binary's basename. For `single`, which serves one connection
at a time (keep-alive included), every check opens, uses and closes one
connection before the next; checks that need simultaneous connections are
adapted or skipped with the reason printed.
"""

import email.utils
import errno
import fcntl
import hashlib
import os
import re
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_lib import (  # noqa: E402
    BIG_SIZE, FIXED_MTIME, IO_TIMEOUT_S, MIME_CASES, PIPELINE_FILES, SECRET,
    SECRET_SEEN, Conn, Fail, Runner, Server, ServerGone, Skip, expect,
    expect_eq, http_date, kill_all_servers, make_docroot, parse_counters,
    request, short)
import integration_rfc  # noqa: E402
import integration_semantics  # noqa: E402
import integration_content  # noqa: E402
import integration_coding  # noqa: E402

SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html")
SUITE_BUDGET_S = 170     # meson allows 240 s; the longest check takes < 60 s
EXIT_SKIP = 77
BLOCKING_MODELS = ("single", "fork", "thread")
IMF_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul"
                    r"|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$")
ALLOW = "GET, HEAD"
# Bounds on waits for events. None is a speed requirement: each is far above
# what a loaded machine needs, and below the default the behaviour under
# test would fall back to if it were missing, so that it still tells the two
# apart (the header timeout is 10 s, the grace after SIGTERM 5 s).
PROMPT_MAX_S = 8.0       # a 400 that must not wait for the header timeout
SLOW_HEAD_S = 8.0        # a slow client's head, held under the header timeout
STALLED_UNREAD = 32768   # bytes queued to a client that does not read
TIMEOUT_CLOSE_S = 6.0    # a close due after 500 ms (default timeouts 10 s, 30 s)
SIGNAL_S = 10.0          # the counters line after SIGUSR1
STOP_S = 15.0            # exit after SIGTERM (the grace is 5 s)
STOP_IDLE_S = 2.5        # ... with idle connections only: at once, well within the grace


class Suite:
    def __init__(self, binary, tmp, runner):
        self.binary = binary
        self.model = os.path.basename(binary)
        self.single = self.model == "single"
        self.tmp = tmp
        self.runner = runner
        self.www, self.files = make_docroot(tmp, SITE_DIR)
        self.srv = None      # the main instance most checks use

    # ---------------------------------------------------------------- helpers

    def new_server(self, bind="127.0.0.1", args=()):
        return Server(self.binary, self.www, self.tmp, bind, args).start()

    def get(self, path, method="GET", headers=None, version="HTTP/1.1", srv=None):
        """One request on its own connection with Connection: close."""
        with Conn(srv or self.srv) as c:
            c.send(request(path, method, version, headers, close=True))
            return c.read_response(method)

    def expect_file(self, r, path, what=None):
        what = what or path
        expect_eq(r.status, 200, f"status of {what}")
        if r.body != self.files[path]:
            raise Fail(f"body of {what} differs: got {len(r.body)} bytes"
                       f" {short(r.body[:60])}, want {len(self.files[path])}")

    def still_serves(self, srv=None):
        r = self.get("/index.html", srv=srv)
        try:
            self.expect_file(r, "/index.html")
        except Fail as e:
            raise Fail(f"afterwards a normal GET fails: {e}")

    def expect_error_shape(self, r, head_only=False):
        """Connection: close and a short HTML page; for a HEAD, only the
        page's Content-Length (RFC 9110 section 9.3.2: no body)."""
        conn = r.get("connection")
        expect(conn is not None and conn.lower() == "close",
               f"{r.status_line}: want Connection: close, got {conn!r}")
        ct = r.get("content-type")
        expect(ct is not None and ct.split(";")[0].strip().lower() == "text/html",
               f"{r.status_line}: want Content-Type text/html, got {ct!r}")
        size = int(r.get("content-length") or 0) if head_only else len(r.body)
        expect(0 < size <= 4096,
               f"{r.status_line}: want a short HTML body, got {size} bytes")

    def expect_error(self, raw, status, srv=None, then_serves=True):
        """Sends raw on a new connection: want an error response of status,
        shaped as the contract says, then a close; then a normal GET works.
        A request that starts with HEAD gets its page's head alone."""
        srv = srv or self.srv
        head_only = raw.lstrip(b"\r\n").startswith(b"HEAD ")
        with Conn(srv) as c:
            c.send(raw)
            r = c.read_response("HEAD" if head_only else "GET")
            expect_eq(r.status, status, f"status for {short(raw, 60)}")
            self.expect_error_shape(r, head_only)
            c.expect_closed()
        expect(SECRET.encode() not in r.head + r.body, "the secret was served")
        if then_serves:
            self.still_serves(srv)
        return r

    def check(self, name, fn, *args, **kw):
        return self.runner.run(name, fn, *args, **kw)

    # ---------------------------------------------------------------- command line

    def run_cli(self, args, timeout=STOP_S):
        p = subprocess.Popen([self.binary] + args, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
            return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            raise Fail(f"{' '.join(args)}: still running after {timeout} s")
        finally:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.wait()

    def check_help(self):
        rc, out, err = self.run_cli(["--help"])
        expect_eq(rc, 0, "exit status of --help")
        for opt in ("--port", "--bind", "--docroot", "--header-timeout", "--idle-timeout",
                    "--cache-mb", "--serve-hidden", "--gzip-level", "--gzip-min-size"):
            expect(opt in out, f"--help output does not mention {opt}: {short(out)}")

    def check_version(self):
        rc, out, err = self.run_cli(["--version"])
        expect_eq(rc, 0, "exit status of --version")
        expect(out.strip() != "", "--version printed nothing on stdout")

    def check_bad_usage(self, args):
        rc, out, err = self.run_cli(args)
        expect_eq(rc, 2, f"exit status of {' '.join(args)}")
        lines = [ln for ln in err.splitlines() if ln.strip()]
        expect(len(lines) == 1, f"want one line on stderr, got {short(err)}")
        expect("listening" not in out, f"it listened: {short(out)}")

    # ---------------------------------------------------------------- responses

    def check_startup_line(self, srv):
        expect_eq(srv.lines[:1], [srv.listen_line], "stdout before listening")
        expect(re.fullmatch(r"listening on 127\.0\.0\.1:\d+", srv.listen_line),
               f"bad line {srv.listen_line!r}")

    def check_200_headers(self):
        before = time.time()
        r = self.get("/index.html")
        after = time.time()
        expect_eq(r.status_line, "HTTP/1.1 200 OK", "status line")
        self.expect_file(r, "/index.html")
        for h in ("server", "date", "content-type", "content-length", "last-modified"):
            expect_eq(len(r.all(h)), 1, f"number of {h} headers")
        expect(r.get("server") != "", "empty Server header")
        date = r.get("date")
        expect(IMF_RE.match(date), f"Date is not an IMF-fixdate: {date!r}")
        t = email.utils.parsedate_to_datetime(date).timestamp()
        expect(before - 5 <= t <= after + 5, f"Date {date!r} is not close to now")
        expect_eq(r.get("content-length"), str(len(self.files["/index.html"])), "Content-Length")
        expect_eq(r.get("last-modified"), http_date(FIXED_MTIME), "Last-Modified")

    def check_mime(self, ext, want):
        r = self.get(f"/mime/t.{ext}")
        self.expect_file(r, f"/mime/t.{ext}")
        ct = r.get("content-type") or ""
        expect_eq(ct.split(";")[0].strip().lower(), want, f"Content-Type of .{ext} ({ct!r})")

    def check_head(self):
        with Conn(self.srv) as c:
            c.send(request("/index.html", "HEAD"))
            h = c.read_response("HEAD")
            c.send(request("/index.html", "GET"))
            g = c.read_response()
            c.send(request("/big.bin", "HEAD", close=True))
            b = c.read_response("HEAD")
            c.expect_closed(what="the close after HEAD with Connection: close (no body)")
        self.expect_file(g, "/index.html")
        expect_eq(h.status_line, "HTTP/1.1 200 OK", "HEAD status line")
        for name in ("content-type", "content-length", "last-modified", "server"):
            expect_eq(h.get(name), g.get(name), f"HEAD vs GET {name}")
        expect_eq(b.get("content-length"), str(BIG_SIZE), "HEAD /big.bin Content-Length")

    def check_status(self, path, status, location=None):
        raw = request(path, close=True)
        if status >= 400:
            r = self.expect_error(raw, status)
        else:
            with Conn(self.srv) as c:
                c.send(raw)
                r = c.read_response()
                expect_eq(r.status, status, f"status of {path}")
                c.expect_closed(what="the close after Connection: close")
        if location is not None:
            expect_eq(r.get("location"), location, "Location")

    def check_serves(self, path, want_path, raw=None):
        with Conn(self.srv) as c:
            c.send(raw or request(path, close=True))
            r = c.read_response()
        self.expect_file(r, want_path, f"{short(path)} (want {want_path})")

    def check_405(self, method):
        r = self.expect_error(request("/index.html", method), 405)
        expect_eq(r.get("allow"), ALLOW, "Allow")

    def check_prompt_400(self, raw, limit_s=PROMPT_MAX_S):
        t = time.monotonic()
        self.expect_error(raw, 400, then_serves=False)
        took = time.monotonic() - t
        expect(took < limit_s, f"answered after {took:.1f} s, not at once")
        self.still_serves()

    def check_traversal(self, path):
        r = self.expect_error(request(path, close=True), 400)
        expect(SECRET.encode() not in r.body, "the secret was served")

    def check_escape(self, path, statuses):
        with Conn(self.srv) as c:
            c.send(request(path, close=True))
            r = c.read_response()
            expect(SECRET.encode() not in r.body, f"the secret was served for {path}")
            expect(r.status in statuses, f"status of {path}: got {r.status}, want {statuses}")
            self.expect_error_shape(r)
            c.expect_closed()
        self.still_serves()

    def check_ims(self, when, want):
        with Conn(self.srv) as c:
            c.send(request("/index.html", headers=[("If-Modified-Since", when)]))
            r = c.read_response()
            expect_eq(r.status, want, f"status for If-Modified-Since {when!r}")
            if want == 200:
                self.expect_file(r, "/index.html")
            # A following response on the same connection parses only if the
            # 304 carried no body.
            c.send(request("/p/00.txt", close=True))
            self.expect_file(c.read_response(), "/p/00.txt", "the request after it")

    # ---------------------------------------------------------------- connections

    def check_http11_keepalive(self):
        with Conn(self.srv) as c:
            c.send(request("/p/01.txt"))
            r1 = c.read_response()
            expect((r1.get("connection") or "").lower() != "close",
                   "HTTP/1.1 response says Connection: close")
            c.send(request("/p/02.txt"))
            r2 = c.read_response()
        self.expect_file(r1, "/p/01.txt")
        self.expect_file(r2, "/p/02.txt")

    def check_http11_close(self):
        with Conn(self.srv) as c:
            c.send(request("/p/03.txt", close=True))
            self.expect_file(c.read_response(), "/p/03.txt")
            c.expect_closed(what="the close after Connection: close")

    def check_half_close(self):
        """A client that half-closes after its request gets the response,
        then the close at once: its FIN ends its requests (RFC 9112 §9.6),
        even when it arrives together with the request (an edge-triggered
        loop that stops at a short read would only see it at the idle
        timeout)."""
        with Conn(self.srv) as c:
            c.send(request("/p/07.txt"))
            c.sock.shutdown(socket.SHUT_WR)
            self.expect_file(c.read_response(), "/p/07.txt")
            c.expect_closed(PROMPT_MAX_S, "the close after the client's half-close")

    def check_http10_close(self):
        with Conn(self.srv) as c:
            c.send(b"GET /p/04.txt HTTP/1.0\r\n\r\n")
            self.expect_file(c.read_response(), "/p/04.txt")
            c.expect_closed(what="the close after an HTTP/1.0 response")

    def check_http10_keepalive(self):
        with Conn(self.srv) as c:
            req = request("/p/05.txt", version="HTTP/1.0", headers=[("Connection", "keep-alive")])
            c.send(req)
            r = c.read_response()
            self.expect_file(r, "/p/05.txt")
            expect_eq((r.get("connection") or "").lower(), "keep-alive", "Connection")
            c.send(request("/p/06.txt", version="HTTP/1.0"))
            self.expect_file(c.read_response(), "/p/06.txt", "second request")
            c.expect_closed(what="the close after the HTTP/1.0 request without keep-alive")

    def check_keepalive_100(self):
        paths = ["/p/%02d.txt" % (i % PIPELINE_FILES) for i in range(99)] + ["/bench/1k.html"]
        with Conn(self.srv) as c:
            for i, p in enumerate(paths):
                c.send(request(p))
                self.expect_file(c.read_response(), p, f"request {i + 1} ({p})")

    def check_pipeline(self, n, pad):
        paths = ["/p/%02d.txt" % ((i * 7) % PIPELINE_FILES) for i in range(n)]
        burst = b"".join(request(p, headers=[("X-Seq", f"{i:04d}" + "." * pad)])
                         for i, p in enumerate(paths))
        if n > 20:
            expect(len(burst) > 16384, f"burst is only {len(burst)} bytes")
        with Conn(self.srv, timeout=10) as c:
            c.send(burst)
            for i, p in enumerate(paths):
                self.expect_file(c.read_response(), p, f"response {i + 1} of {n} ({p})")

    def check_413_while_sending(self):
        """A client that goes on sending its too-large body still reads the
        whole 413 and then a clean close: the server drains what arrives
        after its answer instead of resetting the connection."""
        with Conn(self.srv) as c:
            c.send(request("/", headers=[("Content-Length", "1048577")]))
            time.sleep(0.1)
            try:
                for _ in range(4):
                    c.sock.sendall(b"x" * 16384)
                    time.sleep(0.05)
            except OSError as e:
                raise Fail(f"sending the body: {e}")
            r = c.read_response()
            expect_eq(r.status, 413, "status")
            self.expect_error_shape(r)
            c.expect_closed()
        self.still_serves()

    def check_pipeline_large(self):
        """Pipelined responses far bigger than a socket buffer, from memory
        (16 KiB) and from sendfile (256 KiB) in turn: the server must stop
        reading while it cannot write, and resume in order."""
        paths = ["/bench/16k.html", "/bench/256k.html"] * 20
        with Conn(self.srv, timeout=10) as c:
            c.send(b"".join(request(p) for p in paths))
            for i, p in enumerate(paths):
                self.expect_file(c.read_response(), p, f"response {i + 1} of {len(paths)} ({p})")

    def check_abrupt_clients(self):
        """Clients that vanish: nothing sent, half a head, or a full request
        and no reading (the server's write then meets a closed socket)."""
        for raw in (b"", b"GET /index.html HT", request("/big.bin")):
            with Conn(self.srv) as c:
                if raw:
                    c.send(raw)
            time.sleep(0.05)
        # The half head may get a 400 and the request a 200 that nobody reads.
        self.srv.traffic.add(aborted=2)
        time.sleep(0.2)
        expect(self.srv.alive(), f"server died (status {self.srv.proc.returncode})")
        self.still_serves()

    def check_body_then_pipelined(self):
        raw = (request("/p/07.txt", headers=[("Content-Length", "5")], body=b"hello")
               + request("/p/08.txt"))
        with Conn(self.srv) as c:
            c.send(raw)
            self.expect_file(c.read_response(), "/p/07.txt", "first response")
            self.expect_file(c.read_response(), "/p/08.txt", "second response")

    def check_byte_at_a_time(self):
        raw = request("/p/09.txt", headers=[("User-Agent", "slow")], close=True)
        with Conn(self.srv) as c:
            for i in range(len(raw)):
                c.send(raw[i:i + 1])
                time.sleep(0.001)
            self.expect_file(c.read_response(), "/p/09.txt")

    def check_concurrent(self, n, path):
        """n threads connect, meet at a barrier, then each does one request;
        for single, each with Connection: close, served one after another."""
        want = self.files[path]
        errors = []
        lock = threading.Lock()
        barrier = threading.Barrier(n, timeout=15)

        def client(i):
            try:
                with Conn(self.srv, timeout=15) as c:
                    barrier.wait()
                    c.send(request(path, close=self.single))
                    r = c.read_response()
                    if r.status != 200 or r.body != want:
                        raise Fail(f"client {i}: {r.status}, {len(r.body)} bytes")
            except (Fail, OSError, threading.BrokenBarrierError) as e:
                with lock:
                    errors.append(f"client {i}: {type(e).__name__} {e}")

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 40
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        expect(not any(t.is_alive() for t in threads), "some clients still running after 40 s")
        expect(not errors, f"{len(errors)} of {n} failed; first: {errors[:3]}")

    def check_big_file(self):
        with Conn(self.srv, timeout=10) as c:
            c.send(request("/big.bin", close=True))
            r = c.read_response()
            expect_eq(r.status, 200, "status")
            expect_eq(r.get("content-length"), str(BIG_SIZE), "Content-Length")
            expect_eq(hashlib.sha256(r.body).hexdigest(),
                      hashlib.sha256(self.files["/big.bin"]).hexdigest(), "sha256 of the body")
            c.expect_closed()

    def check_reset_mid_body(self):
        with Conn(self.srv) as c:
            c.send(request("/big.bin"))
            c.read_head()
            c.read_exact(256 * 1024)
            c.reset()
        self.srv.traffic.add(aborted=1)
        time.sleep(0.2)
        expect(self.srv.alive(), f"server died (status {self.srv.proc.returncode})")
        self.still_serves()
        self.check_big_file()

    def check_slow_client(self):
        """One header byte per 200 ms on one connection; meanwhile a normal
        GET on another connection is answered while that head is still
        incomplete: the slow client holds its last bytes back until then, so
        a server that waits for it cannot answer the other at all. No time
        limit on the answer but the slow head's own deadline (held under the
        10 s header timeout), so a slow machine cannot fail it."""
        if self.single:
            raise Skip("single serves one connection at a time by design")
        raw = request("/p/10.txt", close=True)
        result = {}
        done = threading.Event()

        def fast():
            try:
                result["r"] = self.get("/p/11.txt")
            except Exception as e:  # reported below
                result["e"] = e
            done.set()

        with Conn(self.srv) as slow:
            deadline = time.monotonic() + SLOW_HEAD_S
            for i in range(3):
                slow.send(raw[i:i + 1])
                time.sleep(0.2)
            th = threading.Thread(target=fast, daemon=True)
            th.start()
            i = 3
            while not done.wait(0.2) and i < len(raw) - 2 and time.monotonic() < deadline:
                slow.send(raw[i:i + 1])
                i += 1
            done.wait(max(0.0, deadline - time.monotonic()))
            answered = done.is_set()
            slow.send(raw[i:])
            self.expect_file(slow.read_response(), "/p/10.txt", "the slow client")
        th.join(IO_TIMEOUT_S)
        if "e" in result:
            raise Fail(f"the other client failed: {result['e']}")
        expect(answered, f"the other client got no answer in {SLOW_HEAD_S:.0f} s while"
               " the slow client's head was incomplete")
        self.expect_file(result["r"], "/p/11.txt", "the other client")

    def check_stalled_reader(self):
        """A client that does not read its 8 MiB response does not delay
        others; when it reads at last, the body is complete."""
        if self.single:
            raise Skip("single serves one connection at a time by design")
        with Conn(self.srv, timeout=10) as stalled:
            stalled.send(request("/big.bin", close=True))
            wait_unread(stalled, STALLED_UNREAD)  # the server is writing to it
            # The stalled client reads nothing until the other is answered: a
            # server blocked on its write would leave the other to time out.
            r = self.get("/p/14.txt")
            self.expect_file(r, "/p/14.txt", "the other client")
            self.expect_file(stalled.read_response(), "/big.bin", "the stalled client")

    def check_sigusr1(self):
        start = len(self.srv.lines)
        self.srv.signal(signal.SIGUSR1)
        line = self.srv.wait_line(lambda ln: ln.startswith("counters:"), start, SIGNAL_S)
        expect(line is not None, f"no counters line on stdout within {SIGNAL_S} s of SIGUSR1")
        expect(parse_counters(line) is not None, f"bad counters line {line!r}")
        expect(self.srv.alive(), "SIGUSR1 stopped the server")
        self.still_serves()

    # ---------------------------------------------------------------- 2,000 clients

    def check_many_clients(self, n=2000):
        if self.model in BLOCKING_MODELS:
            raise Skip("blocking model: 2,000 processes/threads is the harness's job")
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n + 100:
            raise Skip(f"RLIMIT_NOFILE is {soft} (hard {hard}); need {n + 100}")
        before = self.counters_now()
        res = many_clients(self.srv, n, "/bench/1k.html", self.files["/bench/1k.html"])
        print(f"# {n} clients: " + ", ".join(f"{k} {v}" for k, v in res.items() if v), flush=True)
        bad = {k: v for k, v in res.items() if k not in ("ok", "refused") and v}
        expect(not bad, f"clients failed: {bad} (ok {res['ok']}, refused {res['refused']})")
        if self.model == "select":
            # Above FD_SETSIZE select cannot watch a descriptor: the server
            # closes it unserved and counts it as refused.
            expect(res["refused"] > 0, f"no connection refused of {n} (select can watch"
                   " only FD_SETSIZE descriptors)")
            expect(res["ok"] > 0, "no client served")
            time.sleep(0.3)
            after = self.counters_now()
            expect_eq(after["refused"] - before["refused"], res["refused"],
                      "refused counter increase vs clients closed without a response")
        else:
            expect_eq(res["ok"], n, f"clients served (refused {res['refused']})")
        self.still_serves()

    def counters_now(self):
        start = len(self.srv.lines)
        self.srv.signal(signal.SIGUSR1)
        line = self.srv.wait_line(lambda ln: ln.startswith("counters:"), start, SIGNAL_S)
        c = parse_counters(line or "")
        expect(c is not None, f"no counters line after SIGUSR1 (got {line!r})")
        return c

    # ---------------------------------------------------------------- own instances

    def check_counters_exact(self):
        srv = self.new_server()
        try:
            with Conn(srv) as c:
                c.send(request("/") + request("/bench/1k.html") + request("/css/site.css", close=True))
                for p in ("/index.html", "/bench/1k.html", "/css/site.css"):
                    self.expect_file(c.read_response(), p)
                c.expect_closed()
            with Conn(srv) as c:
                for p in ("/sub/", "/img/logo.png", "/bench/16k.html"):
                    c.send(request(p))
                    r = c.read_response()
                    expect_eq(r.status, 200, f"status of {p}")
                c.send(request("/index.html", "HEAD", close=True))
                expect_eq(c.read_response("HEAD").status, 200, "status of HEAD")
                c.expect_closed()
            with Conn(srv) as c:
                c.send(request("/sub", close=True))
                expect_eq(c.read_response().status, 301, "status of /sub")
                c.expect_closed()
            for p in ("/missing-1.html", "/missing-2.html"):
                with Conn(srv) as c:
                    c.send(request(p))
                    expect_eq(c.read_response().status, 404, f"status of {p}")
                    c.expect_closed()
            with Conn(srv) as c:
                c.send(request("/", host=None))
                expect_eq(c.read_response().status, 400, "status without Host")
                c.expect_closed()
            start = len(srv.lines)
            srv.signal(signal.SIGTERM)
            rc = srv.wait_exit(STOP_S)
            expect(rc is not None, f"still running {STOP_S} s after SIGTERM")
            expect_eq(rc, 0, "exit status after SIGTERM")
            out = srv.stdout_eof()[start:]
            expect_eq(len(out), 1, f"lines on stdout after SIGTERM ({short(out)})")
            got = parse_counters(out[0])
            expect(got is not None, f"bad counters line {out[0]!r}")
            want = {"accepted": 6, "requests": 11, "1xx": 0, "2xx": 7, "3xx": 1,
                    "4xx": 3, "5xx": 0, "bytes": srv.traffic.bytes, "truncated": 0,
                    "refused": 0}
            diff = {k: f"{got[k]} (want {want[k]})" for k in want if got[k] != want[k]}
            expect(not diff, f"counters differ: {diff}")
        finally:
            srv.kill()

    def check_sigterm_in_flight(self):
        srv = self.new_server()
        try:
            with Conn(srv, timeout=10) as c:
                c.send(request("/big.bin"))
                head = c.read_head()
                expect(head.startswith(b"HTTP/1.1 200"), f"status line {short(head[:40])}")
                first = c.read_exact(256 * 1024)
                srv.signal(signal.SIGTERM)
                rest = c.read_exact(BIG_SIZE - len(first), "the rest of the body after SIGTERM")
                expect_eq(hashlib.sha256(first + rest).hexdigest(),
                          hashlib.sha256(self.files["/big.bin"]).hexdigest(), "sha256 of the body")
                # The connection is now idle: a stopping server closes it
                # and exits, without waiting for the client.
                rc = srv.wait_exit(STOP_S)
            expect(rc is not None, f"still running {STOP_S} s after SIGTERM with an idle client")
            expect_eq(rc, 0, "exit status")
        finally:
            srv.kill()

    def check_sigterm_after_answer(self):
        """SIGTERM just after an answer: the keep-alive connection is idle,
        so the server closes it and exits at once, not after the 5 s grace
        that busy connections get (threadpool, whose worker gives such a
        connection back without waking the reactor, once waited the grace)."""
        srv = self.new_server()
        try:
            with Conn(srv, timeout=10) as c:
                c.send(request("/p/12.txt"))
                self.expect_file(c.read_response(), "/p/12.txt")
                t = time.monotonic()
                srv.signal(signal.SIGTERM)
                c.expect_closed(STOP_S, "the close of an idle connection at SIGTERM")
                rc = srv.wait_exit(STOP_S)
                took = time.monotonic() - t
            expect(rc is not None, f"still running {STOP_S} s after SIGTERM with an idle client")
            expect_eq(rc, 0, "exit status")
            expect(took < STOP_IDLE_S, f"took {took:.1f} s to close an idle connection and exit"
                   f" (the grace, 5 s, is for busy ones)")
        finally:
            srv.kill()

    def check_timeouts(self):
        srv = self.new_server(args=["--idle-timeout", "500", "--header-timeout", "500"])
        try:
            # Each clock starts before the server's can (before the send,
            # before the connect), so that a slow client cannot make a
            # correct server look early.
            with Conn(srv) as c:
                t = time.monotonic()
                c.send(request("/p/12.txt"))
                self.expect_file(c.read_response(), "/p/12.txt")
                c.expect_closed(TIMEOUT_CLOSE_S + 2, "the idle timeout")
                took = time.monotonic() - t
            expect(0.3 <= took <= TIMEOUT_CLOSE_S,
                   f"idle keep-alive connection closed after {took:.2f} s (idle timeout 500 ms)")
            for name, raw in (("half a request head", b"GET /p/13.txt HTTP/1.1\r\nHost: loc"),
                              ("nothing sent", b""),
                              ("half a chunked body", request(
                                  "/p/13.txt", headers=[("Transfer-Encoding", "chunked")])
                               + b"5\r\nhel")):
                t = time.monotonic()
                with Conn(srv) as c:
                    if raw:
                        c.send(raw)
                    data = c.read_until_close(TIMEOUT_CLOSE_S + 2)
                    took = time.monotonic() - t
                expect(0.3 <= took <= TIMEOUT_CLOSE_S,
                       f"{name}: closed after {took:.2f} s (header timeout 500 ms)")
                if data:
                    expect(re.match(rb"HTTP/1\.[01] 408 ", data) is not None,
                           f"{name}: want a 408 or a plain close, got {short(data[:60])}")
            self.still_serves(srv)
            srv.signal(signal.SIGTERM)
            expect_eq(srv.wait_exit(STOP_S), 0, "exit status after SIGTERM")
        finally:
            srv.kill()

    def check_ipv6(self):
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError as e:
            raise Skip(f"no IPv6 loopback here ({e})")
        srv = self.new_server(bind="::1")
        try:
            expect(re.fullmatch(r"listening on \[::1\]:\d+", srv.listen_line),
                   f"bad line {srv.listen_line!r}")
            r = self.get("/index.html", srv=srv)
            self.expect_file(r, "/index.html")
            srv.signal(signal.SIGTERM)
            expect_eq(srv.wait_exit(STOP_S), 0, "exit status after SIGTERM")
        finally:
            srv.kill()

    def check_final_sigterm(self):
        srv = self.srv
        start = len(srv.lines)
        t = time.monotonic()
        srv.signal(signal.SIGTERM)
        # Timed to the counters line, which comes after the connections are
        # closed and before the exit's own work (a sanitizer's leak scan).
        srv.wait_line(lambda ln: parse_counters(ln) is not None, start, STOP_S)
        took = time.monotonic() - t
        rc = srv.wait_exit(STOP_S)
        expect(rc is not None, f"still running {STOP_S} s after SIGTERM")
        expect_eq(rc, 0, "exit status after SIGTERM")
        out = srv.stdout_eof()[start:]
        expect_eq(len(out), 1, f"lines on stdout after SIGTERM ({short(out)})")
        c = parse_counters(out[0])
        expect(c is not None, f"bad counters line {out[0]!r}")
        tr = srv.traffic
        expect_eq(c["1xx"] + c["2xx"] + c["3xx"] + c["4xx"] + c["5xx"], c["requests"],
                  f"sum of status classes vs requests ({out[0]})")
        expect(tr.responses <= c["requests"] <= tr.responses + tr.aborted,
               f"requests={c['requests']}, clients read {tr.responses} responses"
               f" and abandoned {tr.aborted}")
        expect(tr.connections - c["refused"] <= c["accepted"] <= tr.connections,
               f"accepted={c['accepted']} refused={c['refused']}, clients opened {tr.connections}")
        expect(c["bytes"] >= tr.bytes, f"bytes={c['bytes']} but clients received {tr.bytes}")
        expect(took < 5, f"took {took:.1f} s to stop")


def many_clients(srv, n, path, want, deadline_s=40.0):
    """n keep-alive clients driven by one selector: all connect, each sends
    one request and keeps its connection open until every client is done.
    Returns counts by outcome: ok, refused (closed or reset without a byte of
    response), bad, truncated, error, timeout."""
    req = request(path)
    sel = selectors.DefaultSelector()
    res = {"ok": 0, "refused": 0, "bad": 0, "truncated": 0, "error": 0, "timeout": 0}
    socks = []
    pending = 0
    received = 0

    def finish(st, outcome):
        nonlocal pending
        sel.unregister(st["sock"])
        st["done"] = True
        res[outcome] += 1
        pending -= 1

    try:
        for i in range(n):
            s = socket.socket(srv.family, socket.SOCK_STREAM)
            s.setblocking(False)
            socks.append(s)
            st = {"sock": s, "buf": bytearray(), "sent": False, "done": False}
            pending += 1
            err = s.connect_ex((srv.host, srv.port))
            if err not in (0, errno.EINPROGRESS):
                res["error"] += 1
                pending -= 1
                continue
            sel.register(s, selectors.EVENT_WRITE, st)
        deadline = time.monotonic() + deadline_s
        while pending and time.monotonic() < deadline:
            for key, ev in sel.select(timeout=1.0):
                st, s = key.data, key.fileobj
                if not st["sent"]:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    try:
                        if err:
                            raise OSError(err, os.strerror(err))
                        s.send(req)
                    except (ConnectionResetError, BrokenPipeError):
                        finish(st, "refused")
                        continue
                    except OSError:
                        finish(st, "error")
                        continue
                    st["sent"] = True
                    sel.modify(s, selectors.EVENT_READ, st)
                    continue
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    data = None
                if not data:
                    finish(st, "truncated" if st["buf"] else "refused")
                    continue
                received += len(data)
                st["buf"] += data
                buf = st["buf"]
                i = buf.find(b"\r\n\r\n")
                if i < 0:
                    continue
                m = re.search(rb"\r\ncontent-length: *(\d+)", buf[:i], re.I)
                if not m:
                    finish(st, "bad")
                    continue
                total = i + 4 + int(m.group(1))
                if len(buf) < total:
                    continue
                ok = buf.startswith(b"HTTP/1.1 200 ") and buf[i + 4:total] == want \
                    and len(buf) == total
                finish(st, "ok" if ok else "bad")
        res["timeout"] += pending
    finally:
        sel.close()
        for s in socks:
            s.close()
        srv.traffic.add(connections=n - res["error"], nbytes=received, responses=res["ok"])
    return res


def wait_unread(conn, n, timeout=IO_TIMEOUT_S):
    """Waits until at least n bytes wait unread in conn's receive queue."""
    deadline = time.monotonic() + timeout
    while True:
        unread = struct.unpack("i", fcntl.ioctl(conn.sock, termios.FIONREAD, b"\0" * 4))[0]
        if unread >= n:
            return
        if time.monotonic() > deadline:
            raise Fail(f"only {unread} bytes queued to the client after {timeout} s")
        time.sleep(0.05)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def plan(s):
    """Every check, in order. Each opens, uses and closes its connections
    before the next starts, so that `single` can run them all."""
    check = s.check
    www = s.www

    check("startup prints exactly the listening line", s.check_startup_line, s.srv)

    # Command line.
    check("--help exits 0 with usage on stdout", s.check_help)
    check("--version exits 0", s.check_version)
    base = ["--bind", "127.0.0.1", "--docroot", www]
    for name, args in (("--port abc", base + ["--port", "abc"]),
                       ("--port 70000", base + ["--port", "70000"]),
                       ("--bogus", base + ["--port", "0", "--bogus"]),
                       ("--port without a value", base + ["--port"]),
                       ("--header-timeout abc", base + ["--port", "0", "--header-timeout", "abc"]),
                       ("--workers abc", base + ["--port", "0", "--workers", "abc"]),
                       ("--serve-hidden=yes", base + ["--port", "0", "--serve-hidden=yes"]),
                       ("missing docroot", ["--port", "0", "--bind", "127.0.0.1", "--docroot",
                                            os.path.join(s.tmp, "does-not-exist")])):
        check(f"{name}: one line on stderr, exit 2", s.check_bad_usage, args)

    # Responses.
    check("200 has status line, Server, Date, Content-Type, Content-Length, Last-Modified",
          s.check_200_headers)
    for ext, want in MIME_CASES:
        check(f"Content-Type of .{ext} is {want}", s.check_mime, ext, want)
    check("Content-Type without extension is application/octet-stream",
          lambda: expect_eq((s.get("/mime/noext").get("content-type") or "").split(";")[0],
                            "application/octet-stream", "Content-Type"))
    check("HEAD has GET's headers and no body", s.check_head)
    check("GET / serves index.html", s.check_serves, "/", "/index.html")
    check("GET /sub/ serves sub/index.html", s.check_serves, "/sub/", "/sub/index.html")
    check("GET /sub is 301 to /sub/", s.check_status, "/sub", 301, "/sub/")
    check("GET /models/ serves models/index.html", s.check_serves, "/models/", "/models/index.html")
    check("directory without index.html is 404", s.check_status, "/empty/", 404)
    check("missing file is 404", s.check_status, "/no-such-file.html", 404)
    check("file not readable by others (0600) is 403", s.check_status, "/private.txt", 403)
    check("8 MiB file arrives intact (sha256)", s.check_big_file)

    # Conditional requests.
    lm = http_date(FIXED_MTIME)
    check("If-Modified-Since equal to Last-Modified is 304 without body", s.check_ims, lm, 304)
    check("If-Modified-Since later is 304", s.check_ims, http_date(FIXED_MTIME + 86400), 304)
    check("If-Modified-Since earlier is 200", s.check_ims, http_date(FIXED_MTIME - 86400), 200)
    check("If-Modified-Since garbage is 200", s.check_ims, "yesterday at noon", 200)

    # Methods.
    for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"):
        check(f"{m} is 405 with Allow: GET, HEAD", s.check_405, m)
    check("unknown method BREW is 501", s.expect_error, request("/", "BREW"), 501)
    check("method GE@T is 400", s.expect_error, request("/", "GE@T"), 400)
    check("method GET\\x01 is 400", s.expect_error, request("/", "GET\x01"), 400)

    # Versions.
    check("HTTP/2.0 is 505", s.expect_error, request("/", version="HTTP/2.0"), 505)
    check("HTTP/0.9 style 'GET /' is 400 at once", s.check_prompt_400, b"GET /\r\n")
    check("'GET / FOO/1.1' is 400", s.expect_error, request("/", version="FOO/1.1"), 400)

    # Strict syntax.
    for name, raw in (
            ("bare LF line endings", b"GET / HTTP/1.1\nHost: localhost\n\n"),
            ("bare LF after a header", b"GET / HTTP/1.1\r\nHost: localhost\nX-A: b\r\n\r\n"),
            ("header without colon", request("/", headers=[("X-No-Colon", "")]).replace(b"X-No-Colon: ", b"X-No-Colon")),
            ("space before colon", b"GET / HTTP/1.1\r\nHost : localhost\r\n\r\n"),
            ("obs-fold continuation line", b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n b\r\n\r\n"),
            ("control char in a header value", b"GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\x01b\r\n\r\n"),
            ("HTTP/1.1 without Host", request("/", host=None)),
            ("two Host headers", request("/", headers=[("Host", "other")]))):
        check(f"{name} is 400", s.expect_error, raw, 400)
    check("HTTP/1.0 without Host is 200", s.check_serves, "/", "/index.html",
          b"GET / HTTP/1.0\r\n\r\n")

    # Framing.
    for v in ("-1", "+5", "1 2", "abc", "99999999999999999999999"):
        check(f"Content-Length {v!r} is 400", s.expect_error,
              request("/", headers=[("Content-Length", v)]), 400)
    check("two differing Content-Length are 400", s.expect_error,
          request("/", headers=[("Content-Length", "1"), ("Content-Length", "2")]) + b"ab", 400)
    check("Content-Length with Transfer-Encoding is 400", s.expect_error,
          request("/", headers=[("Content-Length", "5"), ("Transfer-Encoding", "chunked")]), 400)
    check("Transfer-Encoding: gzip, chunked is 501 (chunked alone is read: below)",
          s.expect_error, request("/", headers=[("Transfer-Encoding", "gzip, chunked")]), 501)
    check("Content-Length 1048577 is 413", s.expect_error,
          request("/", headers=[("Content-Length", "1048577")]), 413)
    check("413 while the client goes on sending its body: whole 413, then a clean close",
          s.check_413_while_sending)
    check("GET with a 5-byte body, then a pipelined GET: both answered in order",
          s.check_body_then_pipelined)

    # Limits.
    check("request line over 8 KiB is 414", s.expect_error,
          request("/" + "a" * 9000), 414)
    check("request line just under 8 KiB is served", s.check_serves,
          "/index.html?" + "q" * 7900, "/index.html")
    check("header section over 16 KiB is 431", s.expect_error,
          request("/", headers=[(f"X-Pad-{i}", "b" * 1000) for i in range(20)]), 431)
    check("101 header fields are 431", s.expect_error,
          request("/", headers=[(f"X-F-{i}", "v") for i in range(100)]), 431)
    check("100 header fields are served", s.check_serves, "/", "/index.html",
          request("/", headers=[(f"X-F-{i}", "v") for i in range(98)], close=True))  # + Host, Connection

    # Paths.
    check("query is ignored", s.check_serves, "/index.html?x=1", "/index.html")
    check("fragment is ignored", s.check_serves, "/index.html#top", "/index.html")
    check("percent-decoding (file with spaces)", s.check_serves,
          "/file%20with%20spaces.txt", "/file with spaces.txt")
    check("/sub/../index.html normalises to index.html", s.check_serves,
          "/sub/../index.html", "/index.html")
    for p in ("/../secret", "/%2e%2e/secret", "/%2E%2E/secret", "/a/%2e%2e/%2e%2e/secret",
              "/..%2fsecret", "/%2f", "/x%5cy", "/x\\y", "/%00", "/x%zz"):
        check(f"{p} is 400", s.check_traversal, p)
    check("symlink escaping the root (absolute) is 403", s.check_escape, "/escape-abs.txt", (403,))
    check("symlink escaping the root (relative) is 403", s.check_escape, "/escape-rel.txt", (403,))
    check("file under a directory symlink escaping the root is 403 or 404", s.check_escape,
          "/escape-dir/secret.txt", (403, 404))
    check("symlink inside the root is served", s.check_serves, "/link-inside.txt", "/link-inside.txt")
    check("absolute-form request-target is served", s.check_serves, "", "/index.html",
          b"GET http://127.0.0.1/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")

    # Versions, Host, target forms, framing, %-encoded bytes (RFC 9110/9112).
    integration_rfc.plan(s)
    # Validators, conditional requests, ranges, redirects, HEAD errors and
    # the deadlines of a body and a linger (RFC 9110 sections 9, 13, 14).
    integration_semantics.plan(s)
    # Files rewritten while served, chunked request bodies, hidden files,
    # media types (issue 21).
    integration_content.plan(s)
    # The gzip content coding (issue 22).
    integration_coding.plan(s)

    # Connections.
    check("HTTP/1.1 keeps the connection open", s.check_http11_keepalive)
    check("HTTP/1.1 Connection: close closes after the response", s.check_http11_close)
    check("a client's half-close after its request: response, then the close",
          s.check_half_close)
    check("HTTP/1.0 closes after the response", s.check_http10_close)
    check("HTTP/1.0 Connection: keep-alive stays open", s.check_http10_keepalive)
    check("100 keep-alive requests on one connection", s.check_keepalive_100)
    check("20 pipelined requests in one send, answered in order", s.check_pipeline, 20, 0)
    check("200 pipelined requests (> 16 KiB) in one send, answered in order",
          s.check_pipeline, 200, 60)
    check("request sent one byte at a time", s.check_byte_at_a_time)
    if s.single:
        check("200 concurrent clients get /bench/16k.html (queued, one at a time)",
              s.check_concurrent, 200, "/bench/16k.html")
    else:
        check("200 concurrent clients get /bench/16k.html", s.check_concurrent, 200,
              "/bench/16k.html")
    check("40 pipelined 16 KiB and 256 KiB responses, answered in order", s.check_pipeline_large)
    check("clients that close early (nothing sent, half a head, unread response)",
          s.check_abrupt_clients)
    check("client reset in the middle of 8 MiB; server still serves", s.check_reset_mid_body)
    check("a client not reading its 8 MiB response does not delay others", s.check_stalled_reader)
    check("a slow client does not delay others", s.check_slow_client)
    name = ("2,000 clients: those above FD_SETSIZE refused cleanly, the rest served"
            if s.model == "select" else "2,000 concurrent keep-alive clients get /bench/1k.html")
    check(name, s.check_many_clients)
    check("SIGUSR1 prints counters and the server goes on", s.check_sigusr1)

    # Own instances.
    check("counters after SIGTERM match the traffic exactly", s.check_counters_exact)
    check("SIGTERM during an 8 MiB response: body complete, exit 0", s.check_sigterm_in_flight)
    check("SIGTERM just after an answer: the idle connection closed, exit at once",
          s.check_sigterm_after_answer)
    check("idle and header timeouts close connections", s.check_timeouts)
    check("--bind ::1 serves over IPv6", s.check_ipv6)

    check("no response ever contained the secret",
          lambda: expect(not SECRET_SEEN, f"seen while reading {SECRET_SEEN[:3]}"), always=True)
    s.runner.after_each = None
    check("SIGTERM: exit 0 and a consistent counters line", s.check_final_sigterm, always=True)


def parse_args(argv):
    """Returns (binary, check name texts), or None after printing usage."""
    args, only = argv[1:], []
    while len(args) >= 2 and args[-2] == "--check":
        only.insert(0, args[-1])
        args = args[:-2]
    if len(args) != 1 or args[0].startswith("-"):
        print(f"usage: {argv[0]} /path/to/build/servers/<model> [--check TEXT]...",
              file=sys.stderr)
        return None
    return args[0], only


def main(argv):
    parsed = parse_args(argv)
    if not parsed:
        return 2
    binary, only = os.path.abspath(parsed[0]), parsed[1]
    model = os.path.basename(binary)
    # meson stops a test that runs too long with SIGTERM: turn it into an
    # exception so that the finally below still kills every server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise_nofile()   # before starting servers, which inherit it
    runner = Runner(model, SUITE_BUDGET_S, only)
    with tempfile.TemporaryDirectory(prefix=f"c10k-it-{model}-") as tmp:
        try:
            suite = Suite(binary, tmp, runner)
            try:
                suite.srv = suite.new_server()
            except ServerGone as e:
                text = e.stdout + "\n" + e.stderr
                if e.rc == 69 and "io_uring unavailable" in text:
                    print(f"skip - all checks: {text.strip().splitlines()[-1]}", flush=True)
                    return EXIT_SKIP
                runner.report("not ok", "server starts", str(e))
                return runner.summary()
            except Fail as e:
                runner.report("not ok", "server starts", str(e))
                return runner.summary()

            def restart_if_dead(name, ok):
                if not ok and suite.srv.alive() and not suite.srv.listening():
                    suite.srv.wait_exit(3.0)
                if suite.srv.alive():
                    return
                rc = suite.srv.proc.returncode
                how = (f"killed by {signal.Signals(-rc).name}" if rc < 0
                       else f"exited with status {rc}")
                runner.report("not ok", f"server still running after '{name}'",
                              f"{how}; stderr: {short(suite.srv.stderr_text(), 300)}")
                suite.srv.kill()
                try:
                    suite.srv = suite.new_server()
                except (Fail, ServerGone) as e:
                    runner.report("not ok", "server restarts", str(e))
                    runner.deadline = 0   # the remaining checks report "not run"
            runner.after_each = restart_if_dead
            plan(suite)
        finally:
            kill_all_servers()
    if only and sum(runner.counts.values()) == 0:
        print(f"no check is named like {only} (see the names a full run prints)",
              file=sys.stderr)
        return 2
    return runner.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
