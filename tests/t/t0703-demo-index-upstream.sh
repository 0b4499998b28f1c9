#!/bin/sh
# t0703-demo-index-upstream: scripts/pyti-demo-index turns a Debian
# source's upstream tarball (orig.tar.*) into the release's sdist, and
# treats the tarball as untrusted data. No network: the tarballs are made
# here, in the shapes the archive serves (a git export without PKG-INFO,
# a PyPI sdist with one, .xz) and hostile ones (a member climbing out
# with "..", a link, a tarball unpacking past its cap, no build file).
. "$(dirname "$0")/../lib.sh"
plan 7

check "upstream tarballs: kept, named, bounded" $PYTHON - \
	"$TOP/scripts/pyti-demo-index" "$TMP" <<'EOF'
import importlib.machinery, importlib.util, io, os, sys, tarfile
path, tmp = sys.argv[1], sys.argv[2]
loader = importlib.machinery.SourceFileLoader("demoindex", path)
spec = importlib.util.spec_from_loader("demoindex", loader)
di = importlib.util.module_from_spec(spec)
loader.exec_module(di)

def tarball(name, members, mode="w:gz"):
    p = os.path.join(tmp, name)
    with tarfile.open(p, mode) as t:
        for m, data in members:
            ti = tarfile.TarInfo(m)
            if data is None:
                ti.type = tarfile.SYMTYPE
                ti.linkname = "/etc/passwd"
                t.addfile(ti)
                continue
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return p

meta = b"Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.2\n"
w = {"name": "Foo.Bar", "version": "1.2", "metadata": meta,
     "requires_python": ">=3.8"}

def members(sd):
    with tarfile.open(fileobj=io.BytesIO(sd["data"])) as t:
        return {m.name: t.extractfile(m).read() for m in t if m.isfile()}

# a git export: one top directory, no PKG-INFO; .git, debian/, a link
# and a ".." member are not carried
sd = di.upstream_sdist(w, tarball("foo_1.2.orig.tar.gz", [
    ("foo-v1.2/pyproject.toml", b"[build-system]\n"),
    ("foo-v1.2/conftest.py", b"# root conftest\n"),
    ("foo-v1.2/tests/test_a.py", b"def test_a(): pass\n"),
    ("foo-v1.2/.git/config", b"x"),
    ("foo-v1.2/debian/rules", b"x"),
    ("foo-v1.2/../../evil", b"x"),
    ("foo-v1.2/link", None),
]))
assert sd["filename"] == "foo_bar-1.2.tar.gz", sd["filename"]
assert sd["kind"] == "sdist" and sd["upstream"] and sd["metadata"] is None
assert sd["requires_python"] == ">=3.8"
got = members(sd)
assert sorted(got) == ["foo_bar-1.2/PKG-INFO", "foo_bar-1.2/conftest.py",
                       "foo_bar-1.2/pyproject.toml",
                       "foo_bar-1.2/tests/test_a.py"], sorted(got)
assert got["foo_bar-1.2/PKG-INFO"] == meta
print("ok git export")

# a PyPI sdist (.xz): its own PKG-INFO kept
sd = di.upstream_sdist(w, tarball("foo_1.2.orig.tar.xz", [
    ("Foo.Bar-1.2/PKG-INFO", b"Metadata-Version: 1.0\nName: Foo.Bar\n"),
    ("Foo.Bar-1.2/setup.py", b"pass\n")], "w:xz"))
assert members(sd)["foo_bar-1.2/PKG-INFO"].startswith(b"Metadata-Version: 1.0")
print("ok pypi sdist")

# one source, several projects (flit and flit_core/): each its own tree
two = tarball("flit_3.orig.tar.gz", [
    ("flit-3/pyproject.toml", b'[project]\nname = "flit"\n'),
    ("flit-3/flit/__init__.py", b""),
    ("flit-3/flit_core/pyproject.toml", b'[project]\nname = "flit_core"\n'),
    ("flit-3/flit_core/flit_core/__init__.py", b"")])
sd = di.upstream_sdist(dict(w, name="flit-core", version="3"), two)
assert sorted(members(sd)) == ["flit_core-3/PKG-INFO",
                               "flit_core-3/flit_core/__init__.py",
                               "flit_core-3/pyproject.toml"], sorted(members(sd))
sd = di.upstream_sdist(dict(w, name="flit", version="3"), two)
assert "flit-3/flit_core/pyproject.toml" in members(sd)
assert di.upstream_sdist(dict(w, name="other", version="3"), two) is None
print("ok several projects")

# refused: nothing to build from, past the unpacked cap, not a tarball
assert di.upstream_sdist(w, tarball("a.orig.tar.gz", [
    ("a/README", b"x")])) is None
di.MAX_ORIG_TREE = 1000
assert di.upstream_sdist(w, tarball("b.orig.tar.gz", [
    ("b/setup.py", b"x" * 600), ("b/big", b"y" * 600)])) is None
with open(os.path.join(tmp, "c.orig.tar.gz"), "wb") as f:
    f.write(b"not a tarball")
assert di.upstream_sdist(w, os.path.join(tmp, "c.orig.tar.gz")) is None
print("ok refused")

# versions and sources as the Packages index writes them
assert di.upstream_version("1:2.9.0-4") == "2.9.0"
assert di.upstream_version("5.2.0+dfsg-2") == "5.2.0"
assert di.upstream_version("2025.1.31+ds-1") == "2025.1.31"
assert di.upstream_version("1.0-1-2") == "1.0-1"
assert di.source_of({"Package": "python3-attr", "Version": "22.2.0-1",
                     "Source": "python-attrs"}) == ("python-attrs", "22.2.0-1")
assert di.source_of({"Package": "python3-yaml", "Version": "6.0-3+b2",
                     "Source": "pyyaml (6.0-3)"}) == ("pyyaml", "6.0-3")
assert di.source_of({"Package": "six", "Version": "1.0-1"}) == ("six", "1.0-1")
open(os.path.join(tmp, "s_1.0.orig.tar.xz"), "w").close()
assert di.Apt.orig_path("s", "1:1.0-3", tmp).endswith("s_1.0.orig.tar.xz")
assert di.Apt.orig_path("t", "1.0-3", tmp) is None
print("ok versions")
EOF
cp "$TMP/.out" "$TMP/upstream.out"
check_grep "a git export becomes name-version/ with the wheel's PKG-INFO" \
	"ok git export" "$TMP/upstream.out"
check_grep "a PyPI sdist keeps its own PKG-INFO" "ok pypi sdist" "$TMP/upstream.out"
check_grep "one source of several projects: each its own directory" \
	"ok several projects" "$TMP/upstream.out"
check_grep "no build file, past the cap, not a tarball: refused" "ok refused" \
	"$TMP/upstream.out"
check_grep "Debian versions and Source fields read" "ok versions" "$TMP/upstream.out"

# The same tool's index writer: an upstream sdist wins over a repacked
# one of the same file name (two suites, one release).
check "an upstream sdist wins a file-name clash" $PYTHON - \
	"$TOP/scripts/pyti-demo-index" "$TMP/clash" <<'EOF'
import importlib.machinery, importlib.util, json, os, sys
loader = importlib.machinery.SourceFileLoader("demoindex", sys.argv[1])
spec = importlib.util.spec_from_loader("demoindex", loader)
di = importlib.util.module_from_spec(spec)
loader.exec_module(di)
def d(data, upstream):
    return {"name": "foo", "version": "1.0", "filename": "foo-1.0.tar.gz",
            "data": data, "metadata": None, "kind": "sdist",
            "requires_python": None, "upstream": upstream, "origin": "x"}
di.write_index(sys.argv[2], "http://127.0.0.1:1", [d(b"repack", False),
                                                   d(b"upstream", True)], 1)
page = json.load(open(os.path.join(sys.argv[2], "www/simple/foo/index.json")))
assert len(page["files"]) == 1 and page["files"][0]["size"] == 8, page
EOF
