"""Checks of tests/integration.py for what is published and how (issue 21):
a file rewritten in place while it is served, chunked request bodies, hidden
files, media types from Debian's table. Every model runs them: the core is
shared, but uring and libuv drive the connection engine's completion-style
calls themselves, so each model must show the same behaviour.

plan(suite) registers them with suite.check; they use the suite's helpers.
"""

import email.utils
import os
import random
import socket
import time

from integration_lib import Conn, Fail, expect, expect_eq, request, short, wait_until

CHANGING = "chg/live.bin"         # created and rewritten by the checks
LARGE = 200_000                   # > FILES_BODY_MAX (64 KiB): sent from the descriptor
HELD = "chg/held.bin"             # rewritten while a chunked body is read
SHRINKING = "chg/shrinking.bin"   # sparse, cut short while it is sent
SHRINKING_SIZE = 64 << 20         # far beyond what the socket buffers hold
MAX_BODY = 1 << 20                # HTTP_MAX_BODY


# ----------------------------------------------------------- files that change

def write_in_place(path, data, old_mtime_ns=None):
    """Rewrites path's bytes without replacing the file (same inode, as
    rsync --inplace or an editor that writes through does); the size
    follows data. A rewrite of the same size within the kernel's timestamp
    tick keeps the mtime, which no stat-based validator can see (files.h):
    wait for the tick to pass, then write again."""
    def write():
        with open(path, "r+b") as f:
            f.write(data)
            f.truncate(len(data))
        return os.stat(path).st_mtime_ns != old_mtime_ns
    if not wait_until(write, 5.0, step=0.002):
        raise Fail("the file's mtime did not change within 5 s of rewriting it")
    return os.stat(path)


def expect_current(s, r, path, data, what):
    """r is a 200 whose head describes data, the file's bytes now."""
    expect_eq(r.status, 200, f"status {what}")
    expect_eq(r.get("content-length"), str(len(data)), f"Content-Length {what}")
    if r.body != data:
        raise Fail(f"body {what}: {len(r.body)} bytes, not the file's {len(data)}")
    # The file's mtime, or the second before it: a Last-Modified is never
    # later than the server's clock (RFC 9110 section 8.8.2.1), and a file
    # written at a second's start can carry a time the server's time() has
    # not reached yet.
    mtime = int(os.stat(path).st_mtime)
    lm = r.get("last-modified")
    if lm != email.utils.formatdate(mtime - 1, usegmt=True) or time.time() - mtime > 2:
        expect_eq(lm, email.utils.formatdate(mtime, usegmt=True),
                  f"Last-Modified {what} (the file's mtime)")


def check_rewritten_in_place(s):
    """One keep-alive connection, one file over 64 KiB served from its
    descriptor: extended, rewritten at the same size, then truncated, each
    between two requests and within the once-a-second revalidation. Every
    answer's Content-Length, body and validators are the file's as it is
    now, and the connection survives each (the length was honoured)."""
    path = os.path.join(s.www, CHANGING)
    rnd = random.Random(21)
    data = rnd.randbytes(LARGE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    target = "/" + CHANGING
    with Conn(s.srv) as c:
        c.send(request(target))
        r = c.read_response()
        expect_current(s, r, path, data, "at first")
        tags = [r.get("etag")]
        st = os.stat(path)
        # Last the truncation below 64 KiB: the entry it makes keeps its
        # body in memory, a snapshot that its head describes (files.h).
        grown = data + rnd.randbytes(100_000)
        for what, new in (("after extending to 300,000 bytes", grown),
                          ("after a rewrite of the same size", rnd.randbytes(300_000)),
                          ("after truncating to 100,000 bytes", grown[:100_000]),
                          ("after truncating to 1,000 bytes", grown[:1000])):
            st = write_in_place(path, new, st.st_mtime_ns)
            c.send(request(target))
            r = c.read_response()
            expect_current(s, r, path, new, what)
            expect(r.get("etag") not in tags, f"ETag {what}: {r.get('etag')} was sent before")
            tags.append(r.get("etag"))
        c.send(request(target, close=True))
        expect_current(s, c.read_response(), path, new, "on the last request")
        c.expect_closed()
    return f"5 versions, ETags {', '.join(tags)}"


def check_shrinks_while_sent(s):
    """A 64 MiB file cut to 1 MiB while its body is being sent: the body
    cannot be what the head said, so the server closes the connection after
    fewer bytes than Content-Length (never pads or hangs), counts it as
    truncated, and goes on serving."""
    path = os.path.join(s.www, SHRINKING)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(SHRINKING_SIZE)   # sparse: cheap to make, sendfile reads zeros
    os.chmod(path, 0o644)
    before = s.counters_now()
    c = Conn(s.srv)
    try:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        c.send(request("/" + SHRINKING))
        head = c.read_head()          # the head is out: the body is being sent
        expect(b" 200 " in head.split(b"\r\n")[0], f"status line {short(head[:40])}")
        expect(f"Content-Length: {SHRINKING_SIZE}".encode() in head, "Content-Length")
        os.truncate(path, 1 << 20)
        got = len(c.read_until_close(timeout=30))
    finally:
        c.close()
        os.unlink(path)
    expect(got < SHRINKING_SIZE, f"{got} body bytes for a file cut to 1 MiB")
    after = wait_until(lambda: (lambda k: k if k["truncated"] > before["truncated"] else None)(
        s.counters_now()), 10.0, step=0.2)
    expect(after is not None, "the counters line does not count the truncated response")
    s.still_serves()
    return f"{got} of {SHRINKING_SIZE} bytes, then a close; truncated=+1"


# ----------------------------------------------------------- chunked bodies

CHUNKED_BODY = (b"5;ext=1\r\nhello\r\n"
                b"6 ; name=\"a quoted; value\" ;flag\r\n world\r\n"
                b"A\r\n0123456789\r\n"
                b"0;last\r\nX-Trailer: yes\r\nX-Other:\t2 \r\n\r\n")


def chunked(path="/p/00.txt", body=CHUNKED_BODY, close=False):
    return request(path, headers=[("Transfer-Encoding", "chunked")], close=close) + body


def check_chunked_then_pipelined(s, byte_at_a_time=False):
    """A GET with a chunked body (three chunks, extensions, a trailer) and a
    pipelined GET behind it: the body is read and discarded, both are
    answered 200 in order, and the connection stays open."""
    raw = chunked() + request("/p/01.txt")
    with Conn(s.srv) as c:
        if byte_at_a_time:
            for i in range(len(raw)):
                c.send(raw[i:i + 1])
        else:
            c.send(raw)
        s.expect_file(c.read_response(), "/p/00.txt", "the GET with the chunked body")
        s.expect_file(c.read_response(), "/p/01.txt", "the pipelined GET")
        c.send(request("/p/02.txt", close=True))
        s.expect_file(c.read_response(), "/p/02.txt", "a third request on the connection")
        c.expect_closed()


def check_chunked_file_changed(s):
    """The answer to a GET with a chunked body is made when its head has
    come and sent when the body has ended. A file over 64 KiB rewritten in
    between cannot be sent under the head made for it: 503, and a close;
    a file that did not change is answered 200 after the same wait. A GET
    on another connection lets the server read the head first; where that
    cannot be known (another process or thread took it) a 200 whose head
    describes the rewritten file is right too."""
    path = os.path.join(s.www, HELD)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = random.Random(7).randbytes(LARGE)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    head = chunked("/" + HELD, body=b"5\r\nhello\r\n")
    with Conn(s.srv) as c:
        c.send(head)
        s.expect_file(s.get("/p/04.txt"), "/p/04.txt", "a GET meanwhile")  # the first is read
        c.send(b"0\r\n\r\n")
        expect_current(s, c.read_response(), path, data, "of an unchanged file")
        c.send(head)
        s.expect_file(s.get("/p/05.txt"), "/p/05.txt", "a GET meanwhile")
        write_in_place(path, data[:LARGE // 2], os.stat(path).st_mtime_ns)
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        if r.status == 200:
            expect_current(s, r, path, data[:LARGE // 2], "after the rewrite")
            return "the head was read after the rewrite: 200 for the new file"
        expect_eq(r.status, 503, "status once the file changed")
        s.expect_error_shape(r)
        c.expect_closed()
        return "503"


def check_chunked_limit_exact(s):
    """A chunked body of exactly 1 MiB (two chunks) is read and the request
    answered; one byte more is 413 (next check)."""
    half = MAX_BODY // 2
    body = (b"%x\r\n" % half + b"a" * half + b"\r\n") * 2 + b"0\r\n\r\n"
    with Conn(s.srv) as c:
        c.send(chunked(body=body) + request("/p/03.txt", close=True))
        s.expect_file(c.read_response(), "/p/00.txt")
        s.expect_file(c.read_response(), "/p/03.txt")
        c.expect_closed()


CHUNK_ERRORS = [
    # name, body, status
    ("a size with a minus sign", b"-5\r\nhello\r\n0\r\n\r\n", 400),
    ("a size with a plus sign", b"+5\r\nhello\r\n0\r\n\r\n", 400),
    ("a size with 0x", b"0x5\r\nhello\r\n0\r\n\r\n", 400),
    ("a size after a space", b" 5\r\nhello\r\n0\r\n\r\n", 400),
    ("no size", b";x\r\nhello\r\n0\r\n\r\n", 400),
    ("a size of 17 hex digits (overflows 64 bits)",
     b"10000000000000005\r\nhello\r\n0\r\n\r\n", 400),
    ("a size of 2^64 - 1", b"ffffffffffffffff\r\nhello\r\n0\r\n\r\n", 413),
    ("a chunk without its CRLF", b"5\r\nhelloX\r\n0\r\n\r\n", 400),
    ("a size line ending in a bare LF", b"5\nhello\r\n0\r\n\r\n", 400),
    ("a CR without its LF after the trailer", b"5\r\nhello\r\n0\r\nX: y\r\n\rZ", 400),
    ("a CR without its LF after the data", b"5\r\nhello\rX\n0\r\n\r\n", 400),
    ("a control byte in an extension", b"5;a\x01b\r\nhello\r\n0\r\n\r\n", 400),
    ("a trailer line without a colon", b"0\r\nX-Trailer\r\n\r\n", 400),
    ("a folded trailer line", b"0\r\nX: a\r\n b\r\n\r\n", 400),
    ("one chunk of 1 MiB + 1", b"100001\r\n", 413),
]


def check_chunked_over_limit(s):
    """Chunks that add up to 1 MiB + 1 are 413, as a Content-Length of that
    many bytes would be: the limit is on the decoded size."""
    half = MAX_BODY // 2
    body = b"%x\r\n" % half + b"a" * half + b"\r\n" + b"%x\r\n" % (half + 1)
    s.expect_error(chunked(body=body), 413)


def check_serve_hidden(s):
    srv = s.new_server(args=["--serve-hidden"])
    try:
        r = s.get("/.env", srv=srv)
        expect_eq(r.status, 200, "status of /.env with --serve-hidden")
        expect_eq(r.body, HIDDEN["/.env"], "body of /.env")
    finally:
        srv.kill()


# ----------------------------------------------------------- hidden files

HIDDEN = {"/.git/config": b"[core]\n\trepositoryformatversion = 0\n",
          "/.env": b"DATABASE_PASSWORD=hunter2\n",
          "/.htpasswd": b"admin:$apr1$x$y\n",
          "/a/.hidden/x": b"below a hidden directory\n",
          "/a/.dotfile": b"a hidden file in a directory\n"}
WELL_KNOWN = {"/.well-known/x": b"RFC 8615 says this is published\n",
              "/.well-known/acme-challenge/token": b"token.thumbprint\n"}


def put_hidden_files(www):
    for p, data in list(HIDDEN.items()) + list(WELL_KNOWN.items()):
        full = os.path.join(www, p.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        os.chmod(full, 0o644)


def check_hidden_404(s, target):
    r = s.get(target)
    expect_eq(r.status, 404, f"status of {target}")
    for data in HIDDEN.values():
        expect(data not in r.body, f"{target} served a hidden file's bytes")


def check_well_known(s, target):
    r = s.get(target)
    expect_eq(r.status, 200, f"status of {target}")
    expect_eq(r.body, WELL_KNOWN[target], f"body of {target}")


# ----------------------------------------------------------- media types

MEDIA_TYPES = [("wav", "audio/x-wav"), ("mp4", "video/mp4"), ("webm", "video/webm"),
               ("mp3", "audio/mpeg"), ("ogg", "audio/ogg"), ("woff2", "font/woff2"),
               ("woff", "font/woff"), ("avif", "image/avif"), ("md", "text/markdown"),
               ("MP4", "video/mp4"), ("unknownext", "application/octet-stream")]


def check_media_type(s, ext, want):
    full = os.path.join(s.www, "media", f"t.{ext}")
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(b"media fixture\n")
    os.chmod(full, 0o644)
    ct = s.get(f"/media/t.{ext}").get("content-type") or ""
    expect_eq(ct.split(";")[0].strip(), want, f"Content-Type of .{ext}")
    if want.startswith("text/"):
        expect_eq(ct, want + "; charset=utf-8", "a text type's charset")
    else:
        expect(";" not in ct, f"a charset on {ct!r}")


def plan(s):
    check = s.check
    check("a large file truncated, extended and rewritten in place between requests: "
          "head matches body, validators change, connection kept", check_rewritten_in_place, s)
    check("a file cut short while its body is sent: close, counted as truncated",
          check_shrinks_while_sent, s)

    check("GET with a chunked body (extensions, trailer), then a pipelined GET: "
          "both 200 in order", check_chunked_then_pipelined, s)
    check("the same, sent one byte at a time", check_chunked_then_pipelined, s, True)
    check("a chunked body of exactly 1 MiB is read", check_chunked_limit_exact, s)
    if not s.single:  # a GET meanwhile needs a second connection
        check("chunked: a file rewritten while the body is read is 503, not a stale head",
              check_chunked_file_changed, s)
    for name, body, status in CHUNK_ERRORS:
        check(f"chunked: {name} is {status}", s.expect_error, chunked(body=body), status)
    check("chunked: chunks adding up to 1 MiB + 1 are 413", check_chunked_over_limit, s)

    put_hidden_files(s.www)
    for target in ("/.git/config", "/.env", "/.htpasswd", "/a/.hidden/x", "/a/.dotfile",
                   "/.git", "/.git/", "/%2egit/config", "/a/%2Ehidden/x",
                   "/.well-known/../.env"):
        check(f"hidden: {target} is 404", check_hidden_404, s, target)
    for target in WELL_KNOWN:
        check(f"hidden: {target} is served (RFC 8615)", check_well_known, s, target)
    check("--serve-hidden serves /.env", check_serve_hidden, s)

    for ext, want in MEDIA_TYPES:
        check(f"Content-Type of .{ext} is {want}", check_media_type, s, ext, want)
