#!/usr/bin/python3
"""refcrawl: a small, independent reference crawler for the fixture index.

It fetches the root and every project page over HTTP, parses JSON (PEP 691)
or HTML (PEP 503, with html.parser) according to the Content-Type, and
prints what `pyti-crawl dump` should print. The fixture test uses it to
check that the served pages agree with the generator's truth files, in both
formats; it is not a product and not a benchmark peer.

    refcrawl.py --index http://127.0.0.1:PORT/simple/ [--accept json|html]
"""

import argparse
import html
import http.client
import json
import re
import sys
import urllib.parse
from html.parser import HTMLParser

ACCEPT = {
    "json": "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
    "html": "text/html",
}


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


class Anchors(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.cur = None
        self.serial = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.cur = [dict(attrs), ""]

    def handle_data(self, data):
        if self.cur is not None:
            self.cur[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self.cur is not None:
            self.links.append(tuple(self.cur))
            self.cur = None

    def handle_comment(self, data):
        m = re.match(r"SERIAL (\d+)$", data)
        if m:
            self.serial = int(m.group(1))


class Client:
    def __init__(self, index):
        u = urllib.parse.urlsplit(index)
        self.index = index
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def get(self, url, accept):
        path = urllib.parse.urlsplit(url).path
        self.conn.request("GET", path, headers={"Accept": accept, "User-Agent": "pyti-refcrawl"})
        r = self.conn.getresponse()
        body = r.read()
        return r.status, r.getheader("Content-Type", ""), r.getheader("X-PyPI-Last-Serial"), body


def parse_json_page(page_url, body):
    doc = json.loads(body)
    files = []
    for f in doc["files"]:
        meta = f.get("core-metadata", f.get("dist-info-metadata", f.get("data-dist-info-metadata", False)))
        files.append({
            "filename": f["filename"], "url": urllib.parse.urljoin(page_url, f["url"]),
            "sha256": f["hashes"].get("sha256"), "requires_python": f.get("requires-python"),
            "yanked": f.get("yanked", False), "size": f.get("size"),
            "upload_time": f.get("upload-time"),
            "core_metadata": {"sha256": meta["sha256"]} if isinstance(meta, dict) else bool(meta)})
    return doc["meta"]["_last-serial"], files


def parse_html_page(page_url, body):
    p = Anchors()
    p.feed(body.decode("utf-8"))
    p.close()
    files = []
    for attrs, text in p.links:
        href = attrs["href"]
        url, _, frag = href.partition("#")
        sha = frag[len("sha256="):] if frag.startswith("sha256=") else None
        y = attrs.get("data-yanked")
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        files.append({
            "filename": text, "url": urllib.parse.urljoin(page_url, url), "sha256": sha,
            "requires_python": attrs.get("data-requires-python"),
            "yanked": False if y is None else (True if y == "" else y),
            "size": None, "upload_time": None,
            "core_metadata": {"sha256": meta[len("sha256="):]} if meta and meta.startswith("sha256=") else False})
    return p.serial, files


def page_status(ctype, body):
    """PEP 792 status and reason of a page ("active", None by default)."""
    if ctype.startswith("application/vnd.pypi.simple.v1+json"):
        st = json.loads(body).get("project-status") or {}
        return st.get("status", "active"), st.get("reason")
    text = body.decode("utf-8")
    m = re.search(r'<meta name="pypi:project-status" content="([^"]*)"', text)
    r = re.search(r'<meta name="pypi:project-status-reason" content="([^"]*)"', text)
    return (html.unescape(m.group(1)) if m else "active"), (html.unescape(r.group(1)) if r else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--accept", default="json", choices=sorted(ACCEPT))
    ap.add_argument("--stale-tries", type=int, default=5)
    ap.add_argument("--skip-faults", action="store_true", help="leave out the fault-* projects")
    a = ap.parse_args()
    c = Client(a.index)
    st, ctype, hserial, body = c.get(a.index, ACCEPT["json"])
    if st != 200 or not ctype.startswith("application/vnd.pypi.simple.v1+json"):
        sys.exit(f"refcrawl: root: {st} {ctype}")
    root = json.loads(body)
    failed = 0
    out = []
    for p in root["projects"]:
        name = normalize(p["name"])
        if a.skip_faults and name.startswith("fault-"):
            continue
        url = urllib.parse.urljoin(a.index, name + "/")
        for attempt in range(a.stale_tries):
            st, ctype, hserial, body = c.get(url, ACCEPT[a.accept])
            if st != 200:
                break
            try:
                if ctype.startswith("application/vnd.pypi.simple.v1+json"):
                    serial, files = parse_json_page(url, body)
                elif ctype.startswith("text/html"):
                    serial, files = parse_html_page(url, body)
                else:
                    raise ValueError(f"content type {ctype}")
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
                st = str(e)
                break
            if hserial is None or int(hserial) != serial:
                st = f"serial header {hserial}, page {serial}"
                break
            if serial >= p["_last-serial"]:
                break
            st = f"stale: page serial {serial} < root's {p['_last-serial']} after {attempt + 1} tries"
        if st != 200:
            print(f"refcrawl: {name}: {st}", file=sys.stderr)
            failed += 1
            continue
        files.sort(key=lambda f: f["filename"].encode())
        pst, why = page_status(ctype, body)
        rec = {"name": name, "display_name": p["name"], "serial": serial,
               "status": "active", "project_status": pst, "files": files}
        if why:
            rec["project_status_reason"] = why
        out.append(rec)
    out.sort(key=lambda r: r["name"].encode())
    for r in out:
        print(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
