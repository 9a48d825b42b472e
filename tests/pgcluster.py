#!/usr/bin/env python3
"""A throw-away PostgreSQL cluster with TechEmpower's World table, for the
tests (and by hand): initdb into a temporary directory (as the `postgres`
system user when run as root: PostgreSQL refuses to run as root), the Unix
socket in that directory and no TCP port, fsync off, max_connections sized
by the caller; World loaded with 10,000 rows (id, randomNumber in 1..10000).
Stopped and deleted by stop(), at exit, and on SIGINT/SIGTERM.

    from pgcluster import Cluster, Unavailable
    try:
        pg = Cluster(max_connections=64).start()
    except Unavailable as e:
        print('SKIP:', e); sys.exit(77)
    server args: ['--db', pg.uri]
    pg.stop_server(); pg.start_server()   # the database fails and comes back
    pg.stop()                             # stopped and deleted

Command line:  pgcluster.py run [--max-connections N] -- CMD...
runs CMD with C10K_DB set to the cluster's URI, then deletes the cluster
(exit 77 with the reason when PostgreSQL cannot start here).
               pgcluster.py serve [--max-connections N]
prints "uri: URI" once the cluster is ready and keeps it until SIGTERM or
SIGINT (or its parent's death), then stops and deletes it; "unavailable:
REASON" and exit 77 when it cannot start. The harness's db and queries
workloads run it in a CPU cgroup of its own, pinned to the load CPUs."""
import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

ROWS = 10000


class Unavailable(Exception):
    """PostgreSQL cannot run here; the message says why."""


def bindir():
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'),
                   key=lambda p: int(p.split('/')[4]) if p.split('/')[4].isdigit() else 0)
    if not found:
        raise Unavailable('PostgreSQL is not installed (Debian package postgresql; '
                          './bootstrap installs it)')
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self, max_connections=64):
        self.max_connections = max_connections
        self.dir = None
        self.running = False

    def _run(self, args, **kw):
        # From /: the postgres user may not enter the caller's directory (a
        # clone under a 0700 directory), and psql then says so on its
        # output, which the queries read.
        kw.setdefault('cwd', '/')
        if os.geteuid() == 0:
            args = ['runuser', '-u', 'postgres', '--'] + args
        return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **kw)

    def _must(self, args, what, **kw):
        r = self._run(args, **kw)
        if r.returncode != 0:
            raise Unavailable('%s failed: %s' % (what, r.stdout.strip()[-400:]))
        return r.stdout

    @property
    def uri(self):
        return 'host=%s dbname=hello_world user=postgres' % self.dir

    def start(self):
        bin_ = bindir()
        self.bin = bin_
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam('postgres')
            except KeyError:
                raise Unavailable('running as root and there is no postgres user '
                                  '(the Debian package postgresql creates it)')
        # As root the cluster belongs to postgres, which must reach it: /tmp,
        # not a $TMPDIR that may sit under a directory only root can enter.
        self.dir = tempfile.mkdtemp(prefix='c10k-pg.',
                                    dir='/tmp' if os.geteuid() == 0 else None)
        _live.append(self)
        if os.geteuid() == 0:
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._must([bin_ + '/initdb', '-D', self.dir + '/data', '-A', 'trust', '-U',
                    'postgres', '--no-sync', '-E', 'UTF8'], 'initdb')
        self.start_server()
        self._must([bin_ + '/createdb', '-h', self.dir, '-U', 'postgres', 'hello_world'],
                   'createdb')
        self.psql('CREATE TABLE world (id integer PRIMARY KEY, randomnumber integer NOT NULL);'
                  'INSERT INTO world SELECT i, 1 + floor(random() * %d)::integer '
                  'FROM generate_series(1, %d) i; ANALYZE world;' % (ROWS, ROWS))
        return self

    def psql(self, sql):
        return self._must(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h',
                           self.dir, '-U', 'postgres', '-d', 'hello_world', '-c', sql],
                          'psql')

    def world(self):
        """{id: randomNumber} of the whole table, to check answers against."""
        out = self.psql('SELECT id, randomnumber FROM world')
        return {int(a): int(b) for a, b in (l.split('|') for l in out.split())}

    def start_server(self):
        opts = ("-k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=%d -c shared_buffers=16MB"
                % (self.dir, self.max_connections))
        self._must([self.bin + '/pg_ctl', '-D', self.dir + '/data', '-o', opts, '-l',
                    self.dir + '/log', '-w', '-t', '60', 'start'], 'pg_ctl start')
        self.running = True

    def stop_server(self):
        if self.running:
            self._run([self.bin + '/pg_ctl', '-D', self.dir + '/data', '-m', 'fast',
                       '-w', 'stop'])
        self.running = False

    def backends(self):
        """Client connections open now (the servers' pools)."""
        return int(self.psql("SELECT count(*) FROM pg_stat_activity "
                             "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"))

    def stop(self):
        if self.dir:
            self.stop_server()
            shutil.rmtree(self.dir, ignore_errors=True)
            if self in _live:
                _live.remove(self)
        self.dir = None


_live = []


def _cleanup():
    for c in list(_live):
        c.stop()


def _on_signal(sig, frame):
    _cleanup()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


atexit.register(_cleanup)
for _s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_s, _on_signal)


def serve(argv):
    n = int(argv[1]) if len(argv) == 2 and argv[0] == '--max-connections' else 64
    try:  # our parent (the harness) dies: we stop too, and clean up
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    try:
        pg = Cluster(n).start()
    except Unavailable as e:
        print('unavailable: %s' % e, flush=True)
        _cleanup()
        return 77
    print('uri: %s' % pg.uri, flush=True)
    while True:
        signal.pause()  # _on_signal stops and deletes the cluster


def main(argv):
    if argv[:1] == ['serve']:
        return serve(argv[1:])
    if len(argv) < 2 or argv[0] != 'run' or '--' not in argv:
        print('usage: pgcluster.py run [--max-connections N] -- CMD...', file=sys.stderr)
        return 2
    cut = argv.index('--')
    opts, cmd = argv[1:cut], argv[cut + 1:]
    n = int(opts[1]) if len(opts) == 2 and opts[0] == '--max-connections' else 64
    try:
        pg = Cluster(n).start()
    except Unavailable as e:
        print('pgcluster: skipped: %s' % e, file=sys.stderr)
        _cleanup()
        return 77
    try:
        return subprocess.call(cmd, env=dict(os.environ, C10K_DB=pg.uri))
    finally:
        pg.stop()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
