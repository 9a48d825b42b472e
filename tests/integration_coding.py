"""Checks of tests/integration.py for the gzip content coding (issue 22):
every model answers through the same core, but where the compression runs
(the loop, the connection's thread or process, a pool's worker) and how the
encoded body is sent (writev, uring's SENDMSG, libuv's writes) differ, so
each model must show the same behaviour:

- gzip that zlib inflates to the file byte for byte, from a file kept in
  memory and from one read from its descriptor;
- Vary: Accept-Encoding on every response of a compressible type, gzip or
  not, and on none of another type;
- the encoded representation's own ETag, a 304 on it, and conditionals
  compared against the selected representation's tag;
- HEAD with GET's fields; a Range on a compressible file in gzip answered
  with the whole 200; HTTP/1.0; pipelined requests mixing gzip and identity;
- --gzip-level: 0 compresses nothing, 9 tags its own ETag; a bad level is
  refused with exit 2.

plan(suite) registers them with suite.check; they use the suite's helpers.
"""

import os
import random
import zlib

from integration_lib import Conn, Fail, Server, expect, expect_eq, request

BIG = "/gz/big.js"      # > FILES_BODY_MAX (64 KiB): compressed from its descriptor
SMALL = "/gz/small.css"  # in the file cache's memory
TINY = "/gz/tiny.html"   # under --gzip-min-size (256 bytes): never compressed
IMAGE = "/gz/pic.png"    # not a text type: never compressed
GZ = [("Accept-Encoding", "gzip")]


def text(seed, size):
    """Deterministic text that compresses as source code does (about 4:1)."""
    rnd = random.Random(seed)
    words = ["function", "return", "var", "const", "{", "}", "(", ")", ";", "=",
             "if", "else", "for", "while", "true", "false", "null", "this"]
    out = []
    n = 0
    while n < size:
        w = rnd.choice(words) + ("\n" if rnd.random() < 0.1 else " ")
        out.append(w)
        n += len(w)
    return "".join(out).encode()[:size]


def put_files(s):
    files = {BIG: text(1, 200_000), SMALL: text(2, 9000), TINY: b"<p>tiny</p>\n",
             IMAGE: bytes(random.Random(3).getrandbits(8) for _ in range(5000))}
    for rel, data in files.items():
        full = os.path.join(s.www, rel.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        os.chmod(full, 0o644)
    return files


def inflate(body, what):
    try:
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    except zlib.error as e:
        raise Fail(f"{what}: zlib cannot inflate the {len(body)} bytes: {e}")


def expect_gzip(r, data, what, level=1):
    expect_eq(r.status, 200, f"status of {what}")
    expect_eq(r.get("content-encoding"), "gzip", f"Content-Encoding of {what}")
    expect_eq(r.get("vary"), "Accept-Encoding", f"Vary of {what}")
    expect_eq(r.get("content-length"), str(len(r.body)), f"Content-Length of {what}")
    expect(r.get("accept-ranges") is None, f"{what}: Accept-Ranges on a gzip answer")
    etag = r.get("etag") or ""
    expect(etag.startswith('"') and etag.endswith(f'-gzip{level}"'),
           f"{what}: ETag {etag!r} is not the gzip representation's")
    if inflate(r.body, what) != data:
        raise Fail(f"{what}: inflated body differs from the file ({len(data)} bytes)")
    expect(len(r.body) < len(data), f"{what}: {len(r.body)} bytes, not compressed")


def expect_identity(r, data, what, vary=True):
    expect_eq(r.status, 200, f"status of {what}")
    expect(r.get("content-encoding") is None, f"{what}: Content-Encoding on identity")
    expect_eq(r.get("vary"), "Accept-Encoding" if vary else None, f"Vary of {what}")
    if r.body != data:
        raise Fail(f"{what}: body differs from the file")


def check_gzip(s, files, path):
    expect_gzip(s.get(path, headers=GZ), files[path], path)


def check_identity_has_vary(s, files):
    for path in (BIG, SMALL):
        expect_identity(s.get(path), files[path], f"{path} without Accept-Encoding")
    for path, ae in ((SMALL, "gzip;q=0"), (SMALL, "identity"), (SMALL, "gzip;q=2"),
                     (SMALL, "gzip;q=0.5, identity")):
        expect_identity(s.get(path, headers=[("Accept-Encoding", ae)]), files[path],
                        f"{path} with Accept-Encoding: {ae}")
    expect_gzip(s.get(SMALL, headers=[("Accept-Encoding", "*")]), files[SMALL], "*")
    expect_gzip(s.get(SMALL, headers=[("Accept-Encoding", "br;q=1, x-gzip;q=0.5")]),
                files[SMALL], "x-gzip;q=0.5")


def check_not_compressible(s, files):
    for path in (TINY, IMAGE):
        expect_identity(s.get(path, headers=GZ), files[path], f"{path} in gzip", vary=False)


def check_etags(s, files):
    plain = s.get(SMALL).get("etag")
    gz = s.get(SMALL, headers=GZ)
    expect_gzip(gz, files[SMALL], SMALL)
    tag = gz.get("etag")
    expect_eq(tag, plain[:-1] + '-gzip1"', "the gzip ETag beside the file's")
    r = s.get(SMALL, headers=GZ + [("If-None-Match", tag)])
    expect_eq(r.status, 304, "If-None-Match with the gzip tag, gzip accepted")
    expect_eq(r.get("etag"), tag, "ETag of the 304")
    expect_eq(r.get("vary"), "Accept-Encoding", "Vary of the 304")
    expect(r.get("content-encoding") is None and r.get("content-length") is None,
           "a 304 carries no representation metadata")
    r = s.get(SMALL, headers=GZ + [("If-None-Match", f'W/{tag}')])
    expect_eq(r.status, 304, "If-None-Match with the weak gzip tag (weak comparison)")
    expect_gzip(s.get(SMALL, headers=GZ + [("If-None-Match", plain)]), files[SMALL],
                "If-None-Match with the identity tag, gzip accepted")
    expect_identity(s.get(SMALL, headers=[("If-None-Match", tag)]), files[SMALL],
                    "If-None-Match with the gzip tag, gzip not accepted")
    expect_eq(s.get(SMALL, headers=[("If-None-Match", plain)]).status, 304,
              "If-None-Match with the identity tag, identity")
    expect_eq(s.get(SMALL, headers=GZ + [("If-Match", plain)]).status, 412,
              "If-Match with the identity tag, gzip selected")
    expect_gzip(s.get(SMALL, headers=GZ + [("If-Match", tag)]), files[SMALL],
                "If-Match with the gzip tag")


def check_head(s, files):
    get = s.get(BIG, headers=GZ)
    with Conn(s.srv) as c:
        c.send(request(BIG, "HEAD", headers=GZ) + request(SMALL, headers=GZ, close=True))
        head = c.read_response("HEAD")
        expect_gzip(c.read_response(), files[SMALL], "the GET after the HEAD")
    for name in ("content-type", "content-encoding", "content-length", "etag", "vary",
                 "last-modified"):
        expect_eq(head.get(name), get.get(name), f"HEAD's {name}")


def check_range(s, files):
    r = s.get(BIG, headers=GZ + [("Range", "bytes=0-99")])
    expect_gzip(r, files[BIG], "Range on a gzip answer (the whole 200)")
    r = s.get(BIG, headers=[("Range", "bytes=0-99")])
    expect_eq(r.status, 206, "the same Range without Accept-Encoding")
    expect_eq(r.body, files[BIG][:100], "the identity part")
    expect_eq(r.get("vary"), "Accept-Encoding", "Vary of the 206")


def check_http10(s, files):
    with Conn(s.srv) as c:
        c.send(b"GET " + BIG.encode() + b" HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
        expect_gzip(c.read_response(), files[BIG], "HTTP/1.0")
        c.expect_closed(what="the close after an HTTP/1.0 response")


def check_pipelined(s, files):
    order = [(BIG, True), (SMALL, False), (SMALL, True), (IMAGE, True), (BIG, False),
             (SMALL, True), (TINY, True), (BIG, True)]
    raw = b"".join(request(p, headers=GZ if gz else None, close=i == len(order) - 1)
                   for i, (p, gz) in enumerate(order))
    with Conn(s.srv) as c:
        c.send(raw)
        for i, (p, gz) in enumerate(order):
            r = c.read_response()
            what = f"pipelined #{i} {p} {'gzip' if gz else 'identity'}"
            if gz and p in (BIG, SMALL):
                expect_gzip(r, files[p], what)
            else:
                expect_identity(r, files[p], what, vary=p in (BIG, SMALL))
        c.expect_closed()


def check_levels(s, files):
    for level in (0, 9):
        srv = Server(s.binary, s.www, s.tmp, args=["--gzip-level", str(level)]).start()
        try:
            r = s.get(BIG, headers=GZ, srv=srv)
            if level == 0:
                expect_identity(r, files[BIG], "--gzip-level 0", vary=False)
            else:
                expect_gzip(r, files[BIG], "--gzip-level 9", level=9)
        finally:
            srv.kill()
    for bad in ("10", "-1", "x"):
        rc, out, err = s.run_cli(["--gzip-level", bad])
        expect_eq(rc, 2, f"exit status of --gzip-level {bad}")
        expect(len(err.strip().splitlines()) == 1 and "--gzip-level" in err,
               f"--gzip-level {bad}: want one line naming the option, got {err!r}")


def plan(s):
    check = s.check
    files = put_files(s)
    check("gzip: a file read from its descriptor inflates to the file, Vary, gzip ETag",
          check_gzip, s, files, BIG)
    check("gzip: a file kept in memory inflates to the file", check_gzip, s, files, SMALL)
    check("gzip: identity answers of a compressible type carry Vary; q-values decide",
          check_identity_has_vary, s, files)
    check("gzip: small files and images are never compressed, no Vary",
          check_not_compressible, s, files)
    check("gzip: its own ETag, 304 on it, conditionals against the selected one",
          check_etags, s, files)
    check("gzip: HEAD has GET's fields, and the connection goes on", check_head, s, files)
    check("gzip: Range on a compressible file is the whole 200 in gzip, 206 without",
          check_range, s, files)
    check("gzip: HTTP/1.0, then the close", check_http10, s, files)
    check("gzip: pipelined requests mixing gzip and identity, answered in order",
          check_pipelined, s, files)
    check("gzip: --gzip-level 0 and 9; a bad level is exit 2", check_levels, s, files)
