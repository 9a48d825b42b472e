#!/usr/bin/env python3
"""Slow clients from a real attack tool, Debian's slowhttptest, against one
server binary (meson runs it once per model, suite "reliability"):

    python3 tests/reliability.py build/servers/epoll

For each attack (slow headers a.k.a. slowloris -H, slow body -B, slow read
-X) a fresh server on 127.0.0.1 port 0 with short header and idle timeouts
(ATTACK_TIMEOUT_MS) gets ATTACK_CONNS slow connections, and:
  - during the attack a normal client (GET /index.html, its own connection
    each time) must keep getting answers within NORMAL_TIMEOUT_S;
  - then the attacker is frozen with SIGSTOP, its sockets left open and
    silent, and the connections the server holds (its sockets on its port,
    from /proc/net/tcp) must fall back to the baseline: the header and
    idle timeouts, not the attacker, end them.
The attack counts as established once the server holds half of them.

Blocking models (single, fork, thread) may be starved by design (single
serves one connection at a time, fork and thread spend a process or thread
per slow client): for them what happens is printed as "# finding:" lines
and nothing fails but a hang or a crash. Every process started here is
killed by PID at the end. About 25 s per model.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_lib import tcp_sockets, wait_until  # noqa: E402

DOCROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html")
BLOCKING_MODELS = ("single", "fork", "thread")
EXIT_SKIP = 77
ATTACK_TIMEOUT_MS = 3000   # the server's --header-timeout and --idle-timeout
ATTACK_CONNS = 100         # slowhttptest -c
ATTACK_RATE = 200          # new attack connections per second (-r)
NORMAL_TIMEOUT_S = 5.0     # a normal client's answer, under attack
NORMAL_WINDOW_S = 1.5      # normal clients while the attack holds its connections
ESTABLISH_S = 10.0         # for the attack to hold half its connections
# Once the attacker is frozen, its connections must be gone within the
# timeout plus this margin (generous: it is a bound, not a speed target).
DRAIN_MARGIN_S = 7.0
START_TIMEOUT_S = 20.0
LISTEN_RE = re.compile(r"^listening on 127\.0\.0\.1:(\d+)$")

# Per attack: slowhttptest's arguments (a follow-up every second; a response
# big enough, 256 KiB, that a slow reader leaves it unsent), the path, and
# whether the server must hold the attack's connections. A slow body does
# not get held: the core answers once the head is complete (a GET's body is
# then skipped, a POST is 405) and slowhttptest closes each connection when
# the answer comes, so there is nothing for the attack to hold.
ATTACKS = [
    ("slow headers (slowloris)", ["-H", "-i", "1"], "/index.html", True),
    ("slow body (R-U-Dead-Yet)", ["-B", "-t", "GET", "-i", "1", "-s", "8192"], "/index.html",
     False),
    ("slow read", ["-X", "-k", "4", "-n", "1", "-w", "16", "-y", "64", "-z", "32"],
     "/bench/256k.html", True),
]


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


class Server:
    def __init__(self, binary):
        args = ["--header-timeout", str(ATTACK_TIMEOUT_MS),
                "--idle-timeout", str(ATTACK_TIMEOUT_MS)]
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--bind", "127.0.0.1", "--docroot", DOCROOT] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        line = read_line(self.proc.stdout, START_TIMEOUT_S)
        m = LISTEN_RE.match(line or "")
        if not m:
            rc = self.proc.poll()
            self.kill()
            if rc == 69:  # the model cannot run here (io_uring forbidden)
                raise Skip(f"exited 69 before listening: {line!r}")
            raise Fail(f"no listening line within {START_TIMEOUT_S} s (got {line!r})")
        self.port = int(m.group(1))

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """Kills the process group by the server's PID (fork and prefork
        leave children)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.proc.stdout.close()


def read_line(pipe, timeout):
    """One line from a pipe, or None after timeout."""
    result = []
    th = threading.Thread(target=lambda: result.append(pipe.readline()), daemon=True)
    th.start()
    th.join(timeout)
    return result[0].decode("utf-8", "replace").rstrip("\n") if result else None


def held_connections(port):
    """Sockets on the server's port that a process still holds: not the
    listener, not a socket the kernel alone keeps (TIME_WAIT, FIN_WAIT2 after
    close) nor one waiting in the accept queue (those have inode 0)."""
    return sum(1 for _, st, _, _, inode in tcp_sockets(port) if st != "0A" and inode != "0")


def normal_get(port):
    """One GET on its own connection: (True, seconds) or (False, why)."""
    t = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=NORMAL_TIMEOUT_S) as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        return False, f"{type(e).__name__}: {e}"
    if not data.startswith(b"HTTP/1.1 200 "):
        return False, f"answer {data[:40]!r}"
    return True, time.monotonic() - t


def normal_clients(port, seconds):
    """GETs one after another for seconds, at least three unless one fails:
    (answered, failures, worst s)."""
    ok, failures, worst = 0, [], 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end or (ok < 3 and not failures):
        good, v = normal_get(port)
        if good:
            ok += 1
            worst = max(worst, v)
        else:
            failures.append(v)
        time.sleep(0.1)
    return ok, failures, worst


def attack(binary, model, args, path, must_hold):
    """One attack against a fresh server; returns a one-line summary, or
    raises Fail (for a blocking model: only on a hang or a crash)."""
    blocking = model in BLOCKING_MODELS
    srv = Server(binary)
    tool = None
    try:
        baseline = held_connections(srv.port)
        cmd = ["slowhttptest"] + args + [
            "-c", str(ATTACK_CONNS), "-r", str(ATTACK_RATE), "-l", "60", "-p", "3",
            "-u", f"http://127.0.0.1:{srv.port}{path}"]
        tool = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        peak = wait_until(lambda: held_connections(srv.port) - baseline >= ATTACK_CONNS // 2,
                          ESTABLISH_S if must_hold else NORMAL_WINDOW_S)
        held = held_connections(srv.port) - baseline
        if not peak and must_hold and not blocking:
            raise Fail(f"the attack never held {ATTACK_CONNS // 2} connections"
                       f" ({held} after {ESTABLISH_S} s)")
        ok, failures, worst = normal_clients(srv.port, NORMAL_WINDOW_S)
        during = held_connections(srv.port) - baseline
        os.kill(tool.pid, signal.SIGSTOP)  # silent from now on, sockets left open
        frozen = time.monotonic()
        drain = ATTACK_TIMEOUT_MS / 1000 + DRAIN_MARGIN_S
        back = wait_until(lambda: held_connections(srv.port) <= baseline, drain)
        took = time.monotonic() - frozen
        left = held_connections(srv.port) - baseline
        expect(srv.alive(), f"the server exited ({srv.proc.returncode}) during the attack")
        summary = (f"held {held} connections, {during} after the normal GETs; normal GETs: {ok} answered"
                   f" (worst {worst:.2f} s), {len(failures)} failed; attacker frozen:"
                   + (f" back to baseline in {took:.1f} s" if back else
                      f" {left} still held {drain:.0f} s later"))
        if blocking:
            return summary + (f"; first failure: {failures[0]}" if failures else "")
        expect(not failures, f"{len(failures)} of {ok + len(failures)} normal GETs failed"
               f" under attack, first: {failures[0] if failures else ''}")
        expect(back, f"{left} attack connections still held {drain:.0f} s after the"
               f" attacker went silent (timeouts {ATTACK_TIMEOUT_MS} ms)")
        return summary
    finally:
        if tool is not None:
            try:
                os.kill(tool.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            tool.wait()
        srv.kill()


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} build/servers/<model>", file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    model = os.path.basename(binary)
    if shutil.which("slowhttptest") is None:
        print("skip - slowhttptest not installed; install the Debian package slowhttptest")
        return EXIT_SKIP
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # meson's timeout
    failed = 0
    for name, args, path, must_hold in ATTACKS:
        t = time.monotonic()
        try:
            summary = attack(binary, model, args, path, must_hold)
        except Skip as e:
            print(f"skip - {model}: {e}")
            return EXIT_SKIP
        except Fail as e:
            failed += 1
            print(f"not ok - {name}: {e}", flush=True)
            continue
        took = time.monotonic() - t
        if model in BLOCKING_MODELS:
            print(f"# finding: {model}, {name}: {summary}", flush=True)
            print(f"ok - {name} (blocking model: recorded, not judged; {took:.0f} s)", flush=True)
        else:
            print(f"ok - {name}: {summary} ({took:.0f} s)", flush=True)
    print(f"# {model}: {len(ATTACKS)} attacks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
