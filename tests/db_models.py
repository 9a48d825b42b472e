#!/usr/bin/env python3
"""/db and /queries against a real PostgreSQL, for every model given (issue 23).

    python3 tests/db_models.py build/servers/epoll build/servers/single ...

One throw-away cluster (tests/pgcluster.py) serves every model, and is
stopped and deleted at the end (also on SIGTERM/SIGINT). Per model:
  - /db answers one World row as JSON, the row the table holds; /queries
    clamps q as TechEmpower says (missing, not an integer or below 1: 1;
    above 500: 500), every row the table's; HEAD has no body;
  - 24 concurrent clients on a pool of 2: all answered, and the database
    never sees more than 2 connections per server process (the limit); then
    SIGTERM with the pool open: exit 0 (LeakSanitizer's check under ASan);
  - event models: the same through a proxy that hands libpq the database's
    answers one byte at a time (every partial read of the completion face);
  - event models again with --db-api sync (the loop blocks in the driver);
  - event models: clients that leave while their queries run cost no
    database connection (the query is not abandoned with its connection);
  - the database stopped under load: /db answers 503 (no hang, no crash),
    files are still served; restarted: /db answers 200 again; no descriptor
    leaked (descriptors other than the database's counted before and after)
    and no database connection beyond the pool.
Exit 77 with the reason when PostgreSQL cannot run here. Output: one line
per check and a summary; exit 1 if any failed."""
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pgcluster import Cluster, Unavailable  # noqa: E402
from integration_lib import Fail, expect, wait_until  # noqa: E402

DOCROOT = os.path.join(HERE, "..", "html")
DOCROOT_REAL = os.path.realpath(DOCROOT)  # as /proc/PID/fd shows it
START_TIMEOUT_S = 20.0
IO_TIMEOUT_S = 10.0      # any one request: a hang fails the check, never the suite
EVENT_S = 15.0           # an outage seen, a recovery seen
POOL = 2
EVENT_MODELS = {"epoll", "epoll-et", "select", "poll", "nonblock", "coro", "libuv",
                "uring", "prefork", "reuseport"}
CLAMPS = [("/queries", 1), ("/queries?q=", 1), ("/queries?q=abc", 1), ("/queries?q=0", 1),
          ("/queries?q=-3", 1), ("/queries?q=5x", 1), ("/queries?q=1", 1),
          ("/queries?q=5", 5), ("/queries?x=y&q=7", 7), ("/queries?q=500", 500),
          ("/queries?q=501", 500), ("/queries?q=99999999999999999999", 500)]


class Server:
    """A server in its own session (killing the group also kills prefork's
    workers and fork's children)."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--docroot", DOCROOT, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        r, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT_S)
        line = self.proc.stdout.readline().decode() if r else ""
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)", line)
        if not m:
            self.kill()
            raise Fail(f"no listening line (got {line!r})")
        self.port = int(m.group(1))

    def get(self, path, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=IO_TIMEOUT_S)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, r.getheader("Content-Type"), r.read()
        finally:
            c.close()

    def pids(self):
        """The server's processes: its session (fork's children, prefork's workers)."""
        out = []
        for p in os.listdir("/proc"):
            try:
                if p.isdigit() and os.getsid(int(p)) == self.proc.pid:
                    out.append(int(p))
            except OSError:
                pass
        return out

    def sockets(self):
        """(descriptors, Unix-domain sockets, client connections) over all
        its processes: the database connections are Unix-domain sockets.
        Files of the docroot are left out: the file cache keeps them open,
        in whichever worker (prefork, reuseport) served them first."""
        def rows(path):
            with open(path) as f:
                return [l.split() for l in f.readlines()[1:]]
        unix = {r[6] for r in rows("/proc/net/unix") if len(r) > 6}
        port = f":{self.port:04X}"  # /proc/net/tcp: local address, state 0A is LISTEN
        clients = {r[9] for r in rows("/proc/net/tcp")
                   if len(r) > 9 and r[1].endswith(port) and r[3] != "0A"}
        n = u = c = 0
        for pid in self.pids():
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    t = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if t.startswith(DOCROOT_REAL + os.sep):
                        continue
                    ino = t[8:-1] if t.startswith("socket:[") else None
                    n += 1
                    u += ino in unix
                    c += ino in clients
            except OSError:
                pass
        return n, u, c

    def settled(self):
        """Descriptors other than the database's, once no client connection
        is open (a closing one is not a leak); None if one stays open."""
        v = wait_until(lambda: (lambda n, u, c: c == 0 and (n - u,))(*self.sockets()),
                       EVENT_S)
        return v[0] if v else None

    def stop(self):
        """SIGTERM: a graceful stop with its database connections open
        (under ASan, LeakSanitizer checks them at exit). Its exit status."""
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


def check_row(world, row):
    expect(isinstance(row, dict) and sorted(row) == ["id", "randomNumber"],
           f"a row is not {{id, randomNumber}}: {row!r}")
    expect(1 <= row["id"] <= 10000 and world.get(row["id"]) == row["randomNumber"],
           f"row {row!r} is not the table's ({world.get(row['id'])})")


def check_json(srv, world):
    st, ctype, body = srv.get("/db")
    expect(st == 200, f"/db: status {st}: {body[:200]!r}")
    expect(ctype == "application/json", f"/db: Content-Type {ctype}")
    check_row(world, json.loads(body))
    for path, n in CLAMPS:
        st, ctype, body = srv.get(path)
        expect(st == 200 and ctype == "application/json", f"{path}: {st} {ctype}")
        rows = json.loads(body)
        expect(isinstance(rows, list) and len(rows) == n,
               f"{path}: {len(rows) if isinstance(rows, list) else rows!r} rows, want {n}")
        for row in rows:
            check_row(world, row)
    st, _, body = srv.get("/db", "HEAD")
    expect(st == 200 and body == b"", f"HEAD /db: {st}, body {body[:50]!r}")


def concurrent(srv, world, clients=24, path="/queries?q=3"):
    errors = []

    def one():
        try:
            for _ in range(3):
                st, _, body = srv.get(path)
                expect(st == 200, f"{path}: {st}")
                rows = json.loads(body)
                for row in rows if isinstance(rows, list) else [rows]:
                    check_row(world, row)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(str(e))
    ts = [threading.Thread(target=one) for _ in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    expect(not errors, f"{len(errors)} of {clients} clients failed: {errors[:2]}")


def check_pool(binary, model, pg, world):
    srv = Server(binary, "--db", pg.uri, "--db-conns", str(POOL),
                 *(["--workers", "2"] if model in ("prefork", "reuseport", "threadpool") else []))
    try:
        check_json(srv, world)
        concurrent(srv, world)
        procs = 2 if model == "prefork" else 1
        # reuseport: a pool per reactor thread (db.h), so 2 threads may hold 2 each
        per = 2 if model == "reuseport" else 1
        n = pg.backends()
        if model != "fork":  # fork's children each had their own, and are gone
            expect(n <= POOL * procs * per,
                   f"{n} database connections open, more than the pool's {POOL * procs * per}")
        rc = srv.stop()
        expect(rc == 0, f"SIGTERM with the pool open: exit {rc}, stderr "
                        f"{srv.proc.stderr.read()[-300:]!r}" if rc is not None else
                        "SIGTERM with the pool open: still running after 15 s")
    finally:
        srv.kill()


def check_sync_api(binary, pg, world):
    srv = Server(binary, "--db", pg.uri, "--db-conns", str(POOL), "--db-api", "sync")
    try:
        check_json(srv, world)
        concurrent(srv, world, clients=8)
    finally:
        srv.kill()


class ByteProxy:
    """A Unix-socket proxy in front of the cluster that forwards every byte
    of the database's answers as a send of its own, one byte at a time, and
    the server's requests likewise: libpq then reads (and the completion
    face resumes) at every split point of every message."""

    def __init__(self, pg):
        self.dir = pg.dir + "/proxy"
        os.makedirs(self.dir, exist_ok=True)
        self.target = pg.dir + "/.s.PGSQL.5432"
        self.lsock = socket.socket(socket.AF_UNIX)
        self.lsock.bind(self.dir + "/.s.PGSQL.5432")
        self.lsock.listen(64)
        self.uri = pg.uri.replace("host=" + pg.dir, "host=" + self.dir)
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop:
            try:
                a, _ = self.lsock.accept()
            except OSError:
                return
            b = socket.socket(socket.AF_UNIX)
            b.connect(self.target)
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self.pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                for i in range(len(data)):
                    dst.sendall(data[i:i + 1])
                    time.sleep(0.0002)  # the reader takes it before the next comes
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.lsock.close()


def check_byte_at_a_time(binary, proxy, world):
    srv = Server(binary, "--db", proxy.uri, "--db-conns", str(POOL))
    try:
        st, _, body = srv.get("/db")
        expect(st == 200, f"/db through the proxy: {st}")
        check_row(world, json.loads(body))
        st, _, body = srv.get("/queries?q=4")
        rows = json.loads(body)
        expect(st == 200 and len(rows) == 4, f"/queries?q=4 through the proxy: {st}")
        for row in rows:
            check_row(world, row)
        concurrent(srv, world, clients=4, path="/db")
    finally:
        srv.kill()


def check_outage(binary, model, pg, world):
    srv = Server(binary, "--db", pg.uri, "--db-conns", str(POOL),
                 *(["--workers", "2"] if model in ("prefork", "reuseport", "threadpool") else []))
    seen = {}
    stop = threading.Event()
    errors = []

    def load():
        while not stop.is_set():
            try:
                st, _, _ = srv.get("/db")
                seen[st] = seen.get(st, 0) + 1
                if st not in (200, 503):
                    errors.append(f"status {st}")
            except Exception as e:  # noqa: BLE001 - a hang or a crash
                errors.append(repr(e))
            time.sleep(0.005)
    try:
        concurrent(srv, world, clients=6)
        srv.get("/index.html")
        wait_until(lambda: srv.get("/db")[0] == 200, EVENT_S)
        fds_before = srv.settled()
        ts = [threading.Thread(target=load) for _ in range(4)]
        for t in ts:
            t.start()
        pg.stop_server()
        expect(wait_until(lambda: seen.get(503, 0) >= 4, EVENT_S),
               f"no 503 within {EVENT_S} s of the database stopping (seen {seen})")
        st, _, _ = srv.get("/index.html")
        expect(st == 200, f"a file while the database is down: {st}")
        pg.start_server()
        ok_before = seen.get(200, 0)
        expect(wait_until(lambda: seen.get(200, 0) >= ok_before + 4, EVENT_S),
               f"/db did not recover within {EVENT_S} s of the restart (seen {seen})")
        stop.set()
        for t in ts:
            t.join(30)
        expect(not errors, f"answers other than 200/503: {errors[:3]}")
        # Recovered means every request succeeds once the back-off is over:
        # each process (prefork's workers) waits 100 ms after its own failed
        # connect, and the load above may not have reached all of them.
        last = []

        def all_ok():
            try:
                concurrent(srv, world, clients=6)
                return True
            except Fail as e:
                last[:] = [str(e)]
                return False
        expect(wait_until(all_ok, EVENT_S),
               f"not every client answered within {EVENT_S} s of the recovery: {last}")
        after = srv.settled()
        expect(after is not None and after == fds_before,
               f"descriptors (the database's excepted): {fds_before} before, {after} after")
        limit = POOL * (2 if model == "prefork" else 1) * (2 if model == "reuseport" else 1)
        n, u = pg.backends(), srv.sockets()[1]
        expect(model == "fork" or (n <= limit and u <= limit),
               f"{n} database connections ({u} sockets) after, pool {limit}")
    finally:
        stop.set()
        if not pg.running:
            pg.start_server()
        srv.kill()


def check_client_leaves(binary, model, pg):
    """Clients that leave (FIN) while their request waits on the database
    cost no database connection: the connections that ran their queries
    are still open, and idle, once the queries are over. Abandoning a query
    in flight closes libpq's connection (db_req_free), and the pool's next
    request reopens it synchronously, blocking the loop for a connect (the
    uring model did, and missed the p99 at /queries?q=5 with a delay)."""
    app = "leaves_" + model.replace("-", "_")  # the server's backends by name
    srv = Server(binary, "--db", f"{pg.uri} application_name={app}", "--db-conns", str(POOL),
                 "--db-delay-ms", "100")

    def backends():
        out = pg.psql(f"SELECT pid, state FROM pg_stat_activity WHERE application_name = '{app}'")
        return dict(l.split("|") for l in out.split())
    clients = []
    try:
        for _ in range(POOL):
            c = socket.create_connection(("127.0.0.1", srv.port), timeout=IO_TIMEOUT_S)
            c.sendall(b"GET /queries?q=5 HTTP/1.1\r\nHost: t\r\n\r\n")
            clients.append(c)

        def all_running():
            active = [p for p, st in backends().items() if st == "active"]
            return active if len(active) == POOL else None
        running = wait_until(all_running, EVENT_S)
        expect(running, f"the {POOL} requests' queries not seen running: {backends()}")
        for c in clients:
            c.close()
        kept = wait_until(lambda: all(backends().get(p) == "idle" for p in running), EVENT_S)
        expect(kept, f"database connections {running} of the requests whose clients left: "
                     f"{backends()} (closed, not idle) {EVENT_S} s later")
        st, _, _ = srv.get("/db")
        expect(st == 200, f"/db after: {st}")
    finally:
        for c in clients:
            c.close()
        srv.kill()


def check_options(binary):
    for args in (["--db-conns", "0"], ["--db-conns", "x"], ["--db-api", "maybe"],
                 ["--db-delay-ms", "-1"], ["--db", "=nonsense"]):
        p = subprocess.run([binary, "--port", "0", *args], capture_output=True, timeout=10)
        lines = p.stderr.decode().strip().splitlines()
        expect(p.returncode == 2 and len(lines) == 1,
               f"{args}: exit {p.returncode}, stderr {p.stderr[:200]!r}")
    out = subprocess.run([binary, "--help"], capture_output=True, timeout=10).stdout.decode()
    for opt in ("--db URI", "--db-conns N", "--db-api", "--db-delay-ms"):
        expect(opt in out, f"--help does not show {opt}")


def check_no_db(binary):
    srv = Server(binary)
    try:
        st, _, _ = srv.get("/db")
        expect(st == 503, f"/db without --db: {st}")
        st, _, _ = srv.get("/index.html")
        expect(st == 200, f"a file after: {st}")
    finally:
        srv.kill()


def main(argv):
    binaries = [os.path.abspath(b) for b in argv[1:]]
    if not binaries:
        print(f"usage: {argv[0]} BINARY...", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    try:
        pg = Cluster(max_connections=100).start()
    except Unavailable as e:
        print(f"skip - PostgreSQL cannot run here: {e}")
        return 77
    world = pg.world()
    proxy = ByteProxy(pg)
    checks = [("options: bad values exit 2 with one line; --help shows them",
               check_options, binaries[0]),
              ("no --db: /db is 503, files served", check_no_db, binaries[0])]
    for b in binaries:
        m = os.path.basename(b)
        checks.append((f"{m}: JSON, q clamped, pool limit under 24 clients", check_pool,
                       b, m, pg, world))
        if m in EVENT_MODELS:  # the completion face; the sync face is libpq's own reads
            checks.append((f"{m}: answers read one byte at a time", check_byte_at_a_time, b,
                           proxy, world))
            checks.append((f"{m}: --db-api sync", check_sync_api, b, pg, world))
            checks.append((f"{m}: clients that leave mid-query cost no database connection",
                           check_client_leaves, b, m, pg))
        checks.append((f"{m}: database stopped and restarted under load: 503, files, "
                       f"recovery, no leak", check_outage, b, m, pg, world))
    failed = 0
    try:
        for name, fn, *args in checks:
            t = time.monotonic()
            try:
                fn(*args)
                print(f"ok - {name} ({time.monotonic() - t:.1f} s)", flush=True)
            except (Fail, OSError, ValueError, subprocess.TimeoutExpired) as e:
                failed += 1
                print(f"not ok - {name}: {e}", flush=True)
    finally:
        proxy.close()
        pg.stop()
    print(f"# {len(checks)} checks, {len(checks) - failed} ok, {failed} not ok, "
          f"{time.monotonic() - t0:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # meson's timeout: cleanup runs
    sys.exit(main(sys.argv))
