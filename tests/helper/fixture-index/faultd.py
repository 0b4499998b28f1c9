#!/usr/bin/python3
"""faultd: the stateful part of the fixture index.

nginx serves the static tree; the few URLs that need state or misbehaviour
nginx cannot produce are proxied here (nginx prefixes them with /_faultd):
the fault projects (/simple/fault-*/), the stale pages that catch up after K
requests, and non-normalized project names (301 or 404). It can also be
asked directly on its own port, which is the only way to see a real TCP RST
(nginx turns an upstream reset into a plain close).

    faultd.py --tree DIR --port PORT [--pid-file F]

Control: GET /_fault/reset clears the request counters, GET /_fault/counts
returns them as JSON. Behaviours are listed in README.md.

Asked directly for a file under /packages/, faultd truncates it when the
tree holds a sidecar `<file>.fault-truncate` (a test creates it): the full
Content-Length, half the bytes, then close. nginx never sees sidecars.
"""

import argparse
import gzip
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
LOCK = threading.Lock()  # the request counters
BOMB_LOCK = threading.Lock()  # building the gzip bomb (seconds on a loaded
                              # machine: never under LOCK, which every fault
                              # request takes)
COUNTS = {}
BOMB = {}


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# Same rules as the nginx map in tests/helper/nginx/nginx.conf.in.
Q0 = r"\s*;\s*q\s*=\s*0(?:\.0*)?\s*(?:,|$)"
HTML_RANGE = r"(?:text/html|(?:v1|latest)\+html|text/\*|\*/\*)"
JSON_RANGE = r"(?:v1|latest)\+json"
R_JSON_REFUSED = re.compile(JSON_RANGE + Q0, re.I)
R_JSON_TOP = re.compile(r"^(?!.*" + HTML_RANGE + r"(?!\s*;\s*q\s*=\s*0)).*" + JSON_RANGE +
                        r"(?!\s*;\s*q\s*=\s*0)", re.I)
R_JSON_ONLY = re.compile(r"^(?!.*" + HTML_RANGE + r"(?!" + Q0 + r")).*" + JSON_RANGE, re.I)


def negotiate(accept, fmt_arg):
    if fmt_arg:
        if "json" in fmt_arg:
            return "json"
        if "html" in fmt_arg:
            return "html"
    if not accept:
        return "html"
    if R_JSON_REFUSED.search(accept):
        return "html"
    if R_JSON_TOP.search(accept) or R_JSON_ONLY.search(accept):
        return "json"
    return "html"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pyti-faultd"

    def log_message(self, fmt, *args):
        if self.server.logf:
            self.server.logf.write("%s %s\n" % (time.time(), fmt % args))
            self.server.logf.flush()

    # ------------------------------------------------------------ helpers
    def config(self):
        path = os.path.join(self.server.tree, "faults.json")
        try:
            st = os.stat(path)
            if st.st_mtime_ns != self.server.cfg_mtime:
                with open(path) as f:
                    self.server.cfg = json.load(f)
                self.server.cfg_mtime = st.st_mtime_ns
        except (OSError, ValueError) as e:
            self.server.cfg = {"generation": -1, "faults": [], "stale_catchup": {}, "stale_after": 2}
            sys.stderr.write(f"faultd: cannot read {path}: {e}\n")
        return self.server.cfg

    def count(self, key):
        with LOCK:
            COUNTS[key] = COUNTS.get(key, 0) + 1
            return COUNTS[key]

    def send(self, code, body, ctype="text/plain", headers=(), close=False):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def page(self, name, prefix=""):
        """(body, content type, serial) of the static page, negotiated."""
        fmt = negotiate(self.headers.get("Accept", ""), self.query.get("format", ""))
        d = os.path.join(self.server.tree, "www", "simple", name)
        path = os.path.join(d, prefix + "index." + fmt)
        if not os.path.exists(path):
            fmt = "json"
            path = os.path.join(d, prefix + "index.json")
        with open(path, "rb") as f:
            body = f.read()
        if fmt == "json":
            serial = json.loads(body)["meta"]["_last-serial"]
            return body, JSON_TYPE, serial
        m = re.search(rb"<!--SERIAL (\d+)-->", body)
        return body, "text/html", int(m.group(1)) if m else 0

    def send_page(self, name, prefix="", delay=0.0, rate=0):
        body, ctype, serial = self.page(name, prefix)
        hdrs = [("X-PyPI-Last-Serial", str(serial)), ("Vary", "Accept, Accept-Encoding"),
                ("Cache-Control", "max-age=600, public")]
        if delay:
            time.sleep(delay)
        if not rate:
            return self.send(200, body, ctype, hdrs)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in hdrs:
            self.send_header(k, v)
        self.end_headers()
        step = max(1, rate // 50)
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(0.02)

    # ------------------------------------------------------------- routes
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path, _, qs = self.path.partition("?")
        self.query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
        if path.startswith("/_faultd/"):
            path = path[len("/_faultd"):]
        if path == "/_fault/reset":
            with LOCK:
                COUNTS.clear()
            return self.send(200, "reset\n")
        if path == "/_fault/counts":
            with LOCK:
                return self.send(200, json.dumps(COUNTS, sort_keys=True) + "\n", "application/json")
        m = re.match(r"^/simple/([^/]+)/$", path)
        if not m:
            if path == "/simple/" or path.startswith("/packages/") or path.startswith("/pypi/"):
                return self.proxy_static(path)
            return self.send(404, "404 Not Found\n")
        raw = m.group(1)
        name = normalize(raw)
        if raw != name:
            if os.path.isdir(os.path.join(self.server.tree, "www", "simple", name)):
                return self.send(301, "", headers=[("Location", f"/simple/{name}/")])
            return self.send(404, "404 Not Found\n")
        cfg = self.config()
        gen = cfg.get("generation", 0)
        if name in cfg.get("stale_catchup", {}):
            n = self.count(f"g{gen}:{name}")
            if n <= cfg.get("stale_after", 2):
                return self.send_page(name, prefix="stale/")
            return self.send_page(name)
        if name.startswith("fault-"):
            return self.fault(name, self.count(f"g{gen}:{name}"))
        if os.path.isdir(os.path.join(self.server.tree, "www", "simple", name)):
            return self.send_page(name)
        return self.send(404, "404 Not Found\n")

    def proxy_static(self, path):
        """Direct use of faultd as an index: the static files, plainly."""
        www = os.path.join(self.server.tree, "www")
        if path == "/simple/":
            fmt = negotiate(self.headers.get("Accept", ""), self.query.get("format", ""))
            p = os.path.join(www, "simple", "index." + fmt)
            if not os.path.exists(p):
                fmt, p = "json", os.path.join(www, "simple", "index.json")
            ctype = JSON_TYPE if fmt == "json" else "text/html"
        elif path.startswith("/pypi/"):
            p, ctype = www + path, "application/json"
        else:
            p, ctype = www + path, "application/octet-stream"
        if ".." in path or not os.path.isfile(p):
            return self.send(404, "404 Not Found\n")
        with open(p, "rb") as f:
            body = f.read()
        if path.startswith("/packages/") and os.path.isfile(p + ".fault-truncate"):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        return self.send(200, body, ctype)

    def fault(self, name, n):
        m = re.match(r"^fault-(503|429|500|502)x(\d+)$", name)
        if m:
            code, times = int(m.group(1)), int(m.group(2))
            if n <= times:
                hdrs = [("Retry-After", "1")] if code == 429 else []
                return self.send(code, f"<html><body><h1>{code} fixture fault</h1></body></html>\n",
                                 "text/html", hdrs)
            return self.send_page(name)
        if name == "fault-429-long":
            if n <= 1:
                return self.send(429, "Too Many Requests\n", headers=[("Retry-After", "86400")])
            return self.send_page(name)
        if name == "fault-503-always":
            return self.send(503, "<html><body><h1>503 Backend is unhealthy</h1></body></html>\n", "text/html")
        if name == "fault-slow":
            return self.send_page(name, delay=2.0, rate=20000)
        if name == "fault-stall":
            body, ctype, serial = self.page(name)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:100])
            self.wfile.flush()
            time.sleep(120)
            self.close_connection = True
            return
        if name in ("fault-truncate", "fault-reset"):
            body, ctype, serial = self.page(name)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-PyPI-Last-Serial", str(serial))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if name == "fault-reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if name == "fault-truncate-gzip":
            body, ctype, serial = self.page(name)
            z = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("X-PyPI-Last-Serial", str(serial))
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            part = z[: len(z) * 2 // 3]
            # A well-formed chunked body whose gzip stream stops early.
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(part), part))
            self.close_connection = True
            return
        if name == "fault-close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if name == "fault-redirect-loop":
            return self.send(302, "", headers=[("Location", f"/simple/{name}/")])
        if name == "fault-redirect-offsite":
            return self.send(302, "", headers=[("Location", f"http://127.0.0.1:1/simple/{name}/")])
        if name == "fault-oversize":
            return self.oversize()
        if name == "fault-oversize-gzip":
            return self.gzip_bomb()
        if name == "fault-wrong-type":
            return self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
        body = HOSTILE.get(name)
        if body is None:
            return self.send(404, "404 Not Found\n")
        ctype = "text/html; charset=utf-8" if name.startswith("fault-html") else JSON_TYPE
        if callable(body):
            body = body()
        return self.send(200, body, ctype, [("X-PyPI-Last-Serial", "1")])

    def chunked_start(self, ctype, extra=()):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def oversize(self):
        """A valid JSON page of about 300 MB, streamed without a length."""
        self.chunked_start(JSON_TYPE)
        entry = (b'{"filename":"x-1.0-py3-none-any.whl","hashes":{"sha256":"' + b"0" * 64 +
                 b'"},"url":"x-1.0-py3-none-any.whl","yanked":false},')
        block = entry * (1048576 // len(entry))
        try:
            self.chunk(b'{"meta":{"api-version":"1.0","_last-serial":1},"name":"fault-oversize","files":[')
            for _ in range(300):
                self.chunk(block)
            self.chunk(entry[:-1] + b"]}\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def gzip_bomb(self):
        """About 1 MB of gzip that inflates to 1 GiB of valid JSON."""
        with BOMB_LOCK:
            if "z" not in BOMB:
                BOMB["z"] = make_bomb()
        self.send(200, BOMB["z"], JSON_TYPE, [("Content-Encoding", "gzip")])


def make_bomb():
    """gzip of '{...,"files":[' + 1 GiB of spaces + '],...}'. After a full
    flush deflate forgets its history, so each 1 MiB of spaces compresses
    to the same bytes: compress it once and repeat them."""
    head = b'{"meta":{"api-version":"1.0","_last-serial":1},"files":['
    tail = b'],"name":"fault-oversize-gzip"}\n'
    space = b" " * 1048576
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)]
    block = c.compress(space) + c.flush(zlib.Z_FULL_FLUSH)
    parts.append(block * 1024)
    parts.append(c.compress(tail) + c.flush())
    crc = zlib.crc32(head)
    for _ in range(1024):
        crc = zlib.crc32(space, crc)
    crc = zlib.crc32(tail, crc)
    n = len(head) + 1024 * len(space) + len(tail)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"".join(parts) +
            struct.pack("<II", crc, n & 0xFFFFFFFF))


def html_page(anchors):
    return (b'<!DOCTYPE html>\n<html lang="en">\n  <head>\n'
            b'    <meta name="pypi:repository-version" content="1.4">\n'
            b'    <title>Links for x</title>\n  </head>\n  <body>\n' + anchors +
            b'  </body>\n</html>\n<!--SERIAL 1-->')


SHA = b"a" * 64
HOSTILE = {
    "fault-html-nul": html_page(b'    <a href="x-1.0.tar.gz#sha256=' + SHA + b'">x-1.0\x00.tar.gz</a><br />\n'),
    "fault-html-utf8": html_page(b'    <a href="x-1.0\xff\xfe.tar.gz#sha256=' + SHA + b'">x-1.0\xff\xfe.tar.gz</a><br />\n'),
    "fault-html-broken": (b'<!DOCTYPE html>\n<html><head><title>Links</title></head><body>\n'
                          b'<a href="x-1.0.tar.gz#sha256=' + SHA + b'" data-yanked=">x-1.0.tar.gz</a><br />\n'
                          b'<a href=<<<"x-2.0.tar.gz" <b <i </a\n<a href="x-3.0.tar.gz#sha256='),
    "fault-html-hugeattr": lambda: html_page(b'    <a href="x-1.0.tar.gz#sha256=' + SHA + b'" data-yanked="' +
                                             b"y" * (16 << 20) + b'">x-1.0.tar.gz</a><br />\n'),
    "fault-json-dupkeys": (b'{"files":[],"files":[{"filename":"x-1.0.tar.gz","hashes":{"sha256":"' + SHA +
                           b'"},"url":"x-1.0.tar.gz"}],"meta":{"_last-serial":1,"api-version":"1.4"},'
                           b'"name":"fault-json-dupkeys"}\n'),
    "fault-json-types": (b'{"files":{"filename":"x-1.0.tar.gz"},"meta":{"_last-serial":"1","api-version":1.4},'
                         b'"name":5}\n'),
    "fault-json-deep": lambda: b'{"files":' + b"[" * 100000 + b"]" * 100000 + b"}\n",
    "fault-json-utf8": (b'{"files":[{"filename":"x-1.0\xff\xfe.tar.gz","hashes":{"sha256":"' + SHA +
                        b'"},"url":"x-1.0.tar.gz"}],"meta":{"_last-serial":1,"api-version":"1.4"},'
                        b'"name":"fault-json-utf8"}\n'),
    "fault-json-nul": (b'{"files":[{"filename":"x-1.0\\u0000.tar.gz","hashes":{"sha256":"' + SHA +
                       b'"},"url":"x-1.0.tar.gz"}],"meta":{"_last-serial":1,"api-version":"1.4"},'
                       b'"name":"fault-json-nul"}\n'),
    "fault-json-trailing": (b'{"files":[],"meta":{"_last-serial":1,"api-version":"1.4"},'
                            b'"name":"fault-json-trailing"}\n} garbage {\n'),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid-file")
    ap.add_argument("--log")
    a = ap.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 128
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.tree = os.path.abspath(a.tree)
    srv.cfg, srv.cfg_mtime = None, None
    srv.logf = open(a.log, "a") if a.log else None
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.rename(a.pid_file + ".tmp", a.pid_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
