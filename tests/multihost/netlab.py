"""A small network inside this machine for the multihost suite (issue 10):
load hosts are network namespaces reached over real OpenSSH.

    with NetLab(hosts=2, cpus="1") as lab:
        lab.server_addr          # where the server (root namespace) listens
        lab.hosts[0].alias       # "h0": an ssh destination in lab.ssh_config
        subprocess.run(["ssh", "-F", lab.ssh_config, "h0", "uname -m"])

What it builds, for each host i:
- a network namespace and a veth pair to the root namespace, a /29 from
  198.18.0.0/15 (RFC 2544's benchmarking range): root side .1, namespace side
  .2, .3 left unassigned (an address that does not answer, for tests);
  loopback up inside; the namespace's only route besides its own /29 is a
  host route to the server address, so nothing sent from it can be routed
  anywhere else;
- one sshd (Debian openssh-server), started by absolute path with its own
  config, host key and authorized keys in a temporary directory, listening
  only on the namespace's address, root login by key only; optionally pinned
  to CPUs with taskset (what it starts inherits the affinity).

Before any traffic (sshd's readiness poll is the first packet) the route
guard checks with `ip route get` that every address the test will talk to
resolves to one of the lab's own veth devices (and the server address, from
the root namespace, to a local address): load must never leave the machine.

Teardown always runs (the with-block's exit, also on SIGTERM/SIGINT, which
are turned into exceptions while the lab is up): every process in the
namespaces killed by PID, namespaces and veth pairs deleted, keys removed.
`Unavailable` means namespaces cannot be made here (not root, no `ip
netns`): callers skip (exit 77) with its message.

Names carry the PID (netns "c10k-mh<pid>-<i>", veth "mh<pid>r<i>" /
"mh<pid>n<i>", at most 15 characters as IFNAMSIZ requires) and the /29s are
chosen from the PID among those no address of the root namespace overlaps, so
that parallel or leftover runs do not collide; what a run killed outright
(SIGKILL) left is swept by the next one, recognised by its dead PID. Python standard library plus
iproute2, openssh-server/-client and util-linux (taskset).
"""

import glob
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SSHD = "/usr/sbin/sshd"          # absolute: sshd re-executes itself by path
BENCH_NET = ipaddress.ip_network("198.18.0.0/15")   # RFC 2544, section C.2.2
BLOCK = 8                        # addresses per host: a /29
READY_TIMEOUT_S = 30.0           # sshd's port open, on a loaded machine
STOP_TIMEOUT_S = 5.0             # SIGTERM to SIGKILL


class Unavailable(Exception):
    """Network namespaces cannot be made here; the message says why."""


class RouteError(Exception):
    """A target address does not stay on the lab's own devices."""


def run(args, check=True, **kw):
    """Runs a command, output captured; a failure raises with its stderr."""
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()}")
    return p


def route_get(addr, netns=None):
    """`ip -j route get ADDR` (no packet is sent) as a dict, or None when
    the kernel has no route at all."""
    pre = ["ip", "-n", netns] if netns else ["ip"]
    p = run(pre + ["-j", "route", "get", str(addr)], check=False)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)[0]


class Host:
    """One load host: a namespace, its veth pair and its sshd."""

    def __init__(self, tag, i, block):
        self.index = i
        self.alias = f"h{i}"                  # Host alias in ssh_config
        self.netns = f"c10k-{tag}-{i}"
        self.root_dev = f"{tag}r{i}"          # veth end in the root namespace
        self.ns_dev = f"{tag}n{i}"            # veth end inside the namespace
        self.gateway = str(block[1])          # root side
        self.addr = str(block[2])             # namespace side: sshd, loadgen
        self.silent_addr = str(block[3])      # in the /29, never assigned
        self.prefix = f"{block.network_address}/{block.prefixlen}"
        self.host_key = None                  # sshd's private host key
        self.sshd = None                      # subprocess.Popen
        self.created = []                     # what teardown must delete


class NetLab:
    """Context manager: builds the lab on enter, tears it down on exit.

    identities: extra client keys, each (name, authorized, path_env): the
    alias "h<i>-<name>" logs in with that key; authorized=False leaves the
    key out of authorized_keys (authentication refused); path_env, when
    set, becomes the session's PATH (authorized_keys environment=), which
    lets tests put fake tools first on a host.
    """

    def __init__(self, hosts=2, cpus=None, identities=(), tag=None):
        self.tag = tag or f"mh{os.getpid()}"
        self.nhosts = hosts
        self.cpus = cpus                     # "1", "0-3": taskset -c LIST
        self.identities = list(identities)
        self.hosts = []
        self.server_addr = None
        self.dir = None                      # keys, configs, logs
        self.ssh_config = None
        self._old_signals = {}

    # ---- enter / exit ------------------------------------------------------

    def __enter__(self):
        check_available()
        sweep_stale()
        self._trap_signals()
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc):
        self.teardown()
        return False

    def _trap_signals(self):
        """SIGTERM/SIGINT (meson's timeout, Ctrl-C) become exceptions, so
        that the with-block unwinds and teardown runs."""
        def interrupted(sig, frame):
            raise KeyboardInterrupt(f"signal {sig}")
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old_signals[sig] = signal.signal(sig, interrupted)

    def _build(self):
        self.dir = tempfile.mkdtemp(prefix=f"c10k-{self.tag}-")
        # The hosts' TMPDIR (sshd SetEnv): what the harness leaves there is
        # this lab's alone, whatever other runs on the machine put in /tmp.
        self.remote_tmp = os.path.join(self.dir, "hosttmp")
        os.mkdir(self.remote_tmp, 0o700)
        blocks = free_blocks(self.nhosts, os.getpid())
        self.hosts = [Host(self.tag, i, b) for i, b in enumerate(blocks)]
        self.server_addr = self.hosts[0].gateway
        for h in self.hosts:
            self._make_network(h)
        self.check_routes()
        self._make_keys()
        for h in self.hosts:
            self._start_sshd(h)
        for h in self.hosts:
            self._wait_ready(h)

    # ---- network -------------------------------------------------------------

    def _make_network(self, h):
        run(["ip", "netns", "add", h.netns])
        h.created.append("netns")
        run(["ip", "link", "add", h.root_dev, "type", "veth",
             "peer", "name", h.ns_dev, "netns", h.netns])
        h.created.append("veth")
        run(["ip", "addr", "add", f"{h.gateway}/29", "dev", h.root_dev])
        run(["ip", "link", "set", h.root_dev, "up"])
        ns = ["ip", "-n", h.netns]
        run(ns + ["link", "set", "lo", "up"])
        run(ns + ["addr", "add", f"{h.addr}/29", "dev", h.ns_dev])
        run(ns + ["link", "set", h.ns_dev, "up"])
        if h.index > 0:
            # The server listens on host 0's gateway; the other hosts reach
            # it through their own veth. No default route: nothing else is
            # routable from a namespace.
            run(ns + ["route", "add", f"{self.server_addr}/32",
                      "via", h.gateway, "dev", h.ns_dev])

    def check_routes(self, extra_targets=()):
        """The route guard: raises RouteError unless every target resolves
        to the lab's own veth devices. From the root namespace: each host's
        address, its unassigned address and extra_targets go out through
        that host's root-side veth; the server address is local. From each
        namespace: the server address goes out through its own veth."""
        own = {h.root_dev for h in self.hosts}
        for h in self.hosts:
            for addr in (h.addr, h.silent_addr):
                expect_route(addr, None, {h.root_dev})
            expect_route(self.server_addr, h.netns, {h.ns_dev})
        for addr in extra_targets:
            expect_route(addr, None, own)
        r = route_get(self.server_addr)
        if not r or r.get("type") != "local":
            raise RouteError(f"server address {self.server_addr} is not "
                             f"local to this machine: {r}")

    # ---- ssh -----------------------------------------------------------------

    def _keygen(self, name, comment):
        path = os.path.join(self.dir, name)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
             "-f", path])
        with open(path + ".pub") as f:
            return path, f.read().strip()

    def _make_keys(self):
        """Host keys, the client's keys, authorized_keys, known_hosts and
        the client config (aliases h<i> and h<i>-<identity>)."""
        key, pub = self._keygen("client_key", "c10k-lab multihost")
        auth = [pub]
        idents = []
        for name, authorized, path_env in self.identities:
            ikey, ipub = self._keygen(f"client_key_{name}", f"c10k-lab {name}")
            if authorized:
                env = f'environment="PATH={path_env}" ' if path_env else ""
                auth.append(env + ipub)
            idents.append((name, ikey))
        write(os.path.join(self.dir, "authorized_keys"), "\n".join(auth) + "\n")
        known = []
        for h in self.hosts:
            hkey, hpub = self._keygen(f"host_key_{h.index}", h.netns)
            h.host_key = hkey
            known.append(f"{h.addr} {' '.join(hpub.split()[:2])}")
        write(os.path.join(self.dir, "known_hosts"), "\n".join(known) + "\n")
        blocks = []
        for h in self.hosts:
            blocks.append(self._client_block(h.alias, h.addr, key))
            for name, ikey in idents:
                blocks.append(self._client_block(f"{h.alias}-{name}", h.addr, ikey))
            # Nothing listens on port 1, nothing answers on .3: the
            # "unreachable" errors, still on the lab's own veth.
            blocks.append(self._client_block(f"{h.alias}-refused", h.addr, key, 1))
            blocks.append(self._client_block(f"{h.alias}-silent", h.silent_addr, key))
        self.ssh_config = os.path.join(self.dir, "ssh_config")
        write(self.ssh_config, "".join(blocks))

    def _client_block(self, alias, addr, key, port=22):
        return (f"Host {alias}\n"
                f"    HostName {addr}\n"
                f"    Port {port}\n"
                f"    User root\n"
                f"    IdentityFile {key}\n"
                f"    IdentitiesOnly yes\n"
                f"    UserKnownHostsFile {self.dir}/known_hosts\n"
                f"    GlobalKnownHostsFile /dev/null\n"
                f"    StrictHostKeyChecking yes\n"
                f"    BatchMode yes\n"
                f"    ConnectTimeout 10\n\n")

    def _sshd_config(self, h):
        # StrictModes off: the files sit in a 0700 directory under /tmp,
        # whose world-writable mode StrictModes would refuse. internal-sftp:
        # scp speaks SFTP since OpenSSH 9.0. PermitUserEnvironment PATH: the
        # identities' environment= (fake tools for tests), nothing else.
        return (f"ListenAddress {h.addr}:22\n"
                f"HostKey {h.host_key}\n"
                f"AuthorizedKeysFile {self.dir}/authorized_keys\n"
                "PermitRootLogin prohibit-password\n"
                "PubkeyAuthentication yes\n"
                "PasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\n"
                "UsePAM no\n"
                "StrictModes no\n"
                "PermitUserEnvironment PATH\n"
                f"SetEnv TMPDIR={self.remote_tmp}\n"
                "PidFile none\n"
                "PrintMotd no\n"
                "PrintLastLog no\n"
                "X11Forwarding no\n"
                "Subsystem sftp internal-sftp\n")

    def _start_sshd(self, h):
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation
        conf = os.path.join(self.dir, f"sshd_config_{h.index}")
        write(conf, self._sshd_config(h))
        run([SSHD, "-t", "-f", conf])
        cmd = ["ip", "netns", "exec", h.netns]
        if self.cpus:
            cmd += ["taskset", "-c", self.cpus]
        # ip netns exec and taskset exec in place: the Popen PID is sshd's.
        log = open(os.path.join(self.dir, f"sshd_{h.index}.log"), "w")
        h.sshd = subprocess.Popen(cmd + [SSHD, "-D", "-e", "-f", conf],
                                  stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()

    def _wait_ready(self, h):
        """Polls the port until sshd accepts; sshd dying ends the wait."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if h.sshd.poll() is not None:
                raise RuntimeError(f"sshd in {h.netns} exited "
                                   f"{h.sshd.returncode}: {self.sshd_log(h)}")
            try:
                socket.create_connection((h.addr, 22), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd in {h.netns} not accepting on {h.addr}:22 "
                           f"within {READY_TIMEOUT_S:.0f} s: {self.sshd_log(h)}")

    def sshd_log(self, h):
        with open(os.path.join(self.dir, f"sshd_{h.index}.log")) as f:
            return f.read().strip()[-2000:]

    def ns_pids(self, h):
        """PIDs of every process inside the host's namespace."""
        p = run(["ip", "netns", "pids", h.netns], check=False)
        return [int(x) for x in p.stdout.split()]

    # ---- teardown --------------------------------------------------------------

    def teardown(self):
        """Idempotent; every step runs even if an earlier one failed. A
        second SIGTERM/SIGINT waits until it is done (a few seconds)."""
        for sig in self._old_signals:
            signal.signal(sig, signal.SIG_IGN)
        for h in self.hosts:
            self._stop_host(h)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        for sig, old in self._old_signals.items():
            signal.signal(sig, old)
        self._old_signals = {}

    def _stop_host(self, h):
        if h.sshd and h.sshd.poll() is None:
            h.sshd.terminate()
            try:
                h.sshd.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                h.sshd.kill()
                h.sshd.wait()
        if "netns" in h.created:
            # sshd's sessions and whatever they started: the namespace is
            # ours alone, so everything in it is ours to kill.
            for pid in self.ns_pids(h):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if "veth" in h.created:
            run(["ip", "link", "del", h.root_dev], check=False)  # both ends
        if "netns" in h.created:
            run(["ip", "netns", "del", h.netns], check=False)
        h.created = []


def sweep_stale():
    """Deletes what an earlier run left when it was killed outright (SIGKILL
    gives no teardown): namespaces named by this module whose PID no longer
    exists, with their veth pairs, processes and key directories."""
    for line in run(["ip", "netns", "list"]).stdout.splitlines():
        m = re.match(r"^c10k-(mh(\d+))-(\d+)\b", line)
        if not m or alive(int(m.group(2))):
            continue
        for pid in run(["ip", "netns", "pids", line.split()[0]], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        run(["ip", "link", "del", f"{m.group(1)}r{m.group(3)}"], check=False)
        run(["ip", "netns", "del", line.split()[0]], check=False)
    for d in glob.glob(os.path.join(tempfile.gettempdir(), "c10k-mh*-*")):
        m = re.match(r"^c10k-mh(\d+)-", os.path.basename(d))
        if m and not alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)


def alive(pid):
    """Whether PID exists and is not a zombie (which has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def expect_route(addr, netns, devices):
    r = route_get(addr, netns)
    where = f"from namespace {netns}" if netns else "from the root namespace"
    if not r or r.get("dev") not in devices:
        raise RouteError(f"route guard: {addr} {where} does not resolve to "
                         f"the lab's veth {sorted(devices)}: {r}; "
                         "refusing to send anything")


def check_available():
    if os.geteuid() != 0:
        raise Unavailable("network namespaces need root (CAP_SYS_ADMIN)")
    if not shutil.which("ip"):
        raise Unavailable("no `ip` command (Debian package iproute2)")
    probe = f"c10k-probe-{os.getpid()}"
    p = run(["ip", "netns", "add", probe], check=False)
    if p.returncode != 0:
        raise Unavailable(f"cannot create a network namespace: {p.stderr.strip()}")
    run(["ip", "netns", "del", probe], check=False)
    for tool, pkg in ((SSHD, "openssh-server"), ("ssh", "openssh-client"),
                      ("ssh-keygen", "openssh-client"), ("taskset", "util-linux")):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} not found (Debian package {pkg}; "
                               "./bootstrap installs it)")


def free_blocks(n, seed):
    """n /29s of 198.18.0.0/15 that no address of the root namespace
    overlaps, starting at a place chosen from seed (the PID)."""
    used = []
    for link in json.loads(run(["ip", "-j", "-4", "addr", "show"]).stdout):
        for a in link.get("addr_info", []):
            used.append(ipaddress.ip_network(f"{a['local']}/{a['prefixlen']}",
                                             strict=False))
    count = BENCH_NET.num_addresses // BLOCK
    out = []
    for k in range(count):
        start = BENCH_NET.network_address + ((seed * 4 + k) % count) * BLOCK
        block = ipaddress.ip_network(f"{start}/29")
        if not any(block.overlaps(u) for u in used):
            out.append(block)
            if len(out) == n:
                return out
    raise RuntimeError("no free /29 left in 198.18.0.0/15")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
