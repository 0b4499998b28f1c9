#!/usr/bin/python3
"""Reference answers from Debian's python3-packaging (23.0) for the
differential tests of pyti-pep's wheel, sdist, tags, marker and requirement
subcommands. Prints exactly what the pyti-pep subcommand of the same name
should print (see pep/README.md), so a test only has to compare files.

    oracle-dist.py tags --python 3.11 --platform manylinux_2_36_x86_64 [--abi A]
    oracle-dist.py wheel|sdist|requirement < lines
    oracle-dist.py marker --python 3.11 [--python-full 3.11.0] < lines

The tags case runs packaging's own sys_tags() with the glibc/musl version,
the platform and the Python version replaced by the target's, so the order
is packaging's, not a re-implementation of it.
"""
import argparse
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from packaging import _manylinux, _musllinux, tags  # noqa: E402
from packaging import markers, requirements, utils, version  # noqa: E402


def target_platforms(plat):
    """What tags.platform_tags() yields on a system of that platform."""
    if plat.startswith(("manylinux", "musllinux")):
        if plat.startswith("manylinux_") or plat.startswith("musllinux_"):
            _, major, minor, arch = plat.split("_", 3)
            major, minor = int(major), int(minor)
        else:
            legacy, arch = plat.split("_", 1)
            major, minor = 2, {"manylinux1": 5, "manylinux2010": 12,
                               "manylinux2014": 17}[legacy]
        musl = plat.startswith("musllinux")
        _manylinux._get_glibc_version = lambda: (-1, -1) if musl else (major, minor)
        _manylinux._have_compatible_abi = (
            lambda exe, a: a in {"x86_64", "aarch64", "ppc64", "ppc64le",
                                 "s390x", "armv7l", "i686"})
        _musllinux._get_musl_version = (
            lambda exe: _musllinux._MuslVersion(major, minor) if musl else None)
        tags.sysconfig.get_platform = lambda: "linux-" + arch
        return list(tags._linux_platforms(is_32bit=False))
    if plat.startswith("macosx_"):
        _, major, minor, arch = plat.split("_", 3)
        return list(tags.mac_platforms((int(major), int(minor)), arch))
    return [plat]


def cmd_tags(args):
    major, minor = (int(x) for x in args.python.split("."))
    plats = target_platforms(args.platform)
    abis = args.abi.split(",") if args.abi else None
    seen = set()
    out = []
    for t in list(tags.cpython_tags((major, minor), abis, plats)) + list(
            tags.compatible_tags((major, minor), f"cp{major}{minor}", plats)):
        if str(t) not in seen:   # pyti's list keeps the first of duplicates
            seen.add(str(t))
            out.append(str(t))
    print("\n".join(out))


def build_json(build):
    return [build[0], build[1]] if build else None


def cmd_wheel(args):
    for line in sys.stdin.read().split("\n")[:-1]:
        try:
            name, ver, build, tagset = utils.parse_wheel_filename(line)
        except (utils.InvalidWheelFilename, version.InvalidVersion, ValueError):
            print("invalid")
            continue
        print(json.dumps({"name": name, "version": str(ver),
                          "build": build_json(build),
                          "tags": sorted(str(t) for t in tagset)},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def cmd_sdist(args):
    for line in sys.stdin.read().split("\n")[:-1]:
        try:
            name, ver = utils.parse_sdist_filename(line)
        except (utils.InvalidSdistFilename, version.InvalidVersion, ValueError):
            print("invalid")
            continue
        print(json.dumps({"name": name, "version": str(ver)},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def cmd_marker(args):
    env = {
        "implementation_name": "cpython",
        "implementation_version": args.python_full or args.python + ".0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": args.python_full or args.python + ".0",
        "platform_python_implementation": "CPython",
        "python_version": args.python,
        "sys_platform": "linux",
        "extra": args.extra or "",
    }
    for line in sys.stdin.read().split("\n")[:-1]:
        try:
            m = markers.Marker(line)
        except markers.InvalidMarker:
            print("invalid")
            continue
        try:
            print("true" if m.evaluate(env) else "false")
        except markers.UndefinedComparison:
            print("undefined")
        except version.InvalidVersion:
            # packaging 23.0 raises; pyti says false, as later packaging
            # does (docs/packaging-standards.md).
            print("false")


def normalize_all_extras(items):
    """packaging 23.0 normalizes the extra of the first comparison only
    (_normalize_extra_values); pyti normalizes every one, as later
    packaging does (docs/packaging-standards.md)."""
    from packaging._parser import Value, Variable
    for i, item in enumerate(items):
        if isinstance(item, list):
            normalize_all_extras(item)
        elif isinstance(item, tuple):
            lhs, op, rhs = item
            if isinstance(lhs, Variable) and lhs.value == "extra":
                rhs = Value(utils.canonicalize_name(rhs.value))
            elif isinstance(rhs, Variable) and rhs.value == "extra":
                lhs = Value(utils.canonicalize_name(lhs.value))
            items[i] = (lhs, op, rhs)


def cmd_requirement(args):
    for line in sys.stdin.read().split("\n")[:-1]:
        try:
            r = requirements.Requirement(line)
        except (requirements.InvalidRequirement, ValueError):
            print("invalid")
            continue
        if r.marker:
            normalize_all_extras(r.marker._markers)
        print(json.dumps({"name": r.name, "extras": sorted(r.extras),
                          "specifier": str(r.specifier), "url": r.url,
                          "marker": str(r.marker) if r.marker else None},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tags")
    t.add_argument("--python", required=True)
    t.add_argument("--platform", required=True)
    t.add_argument("--abi")
    sub.add_parser("wheel")
    sub.add_parser("sdist")
    sub.add_parser("requirement")
    m = sub.add_parser("marker")
    m.add_argument("--python", required=True)
    m.add_argument("--python-full")
    m.add_argument("--extra")
    args = p.parse_args()
    {"tags": cmd_tags, "wheel": cmd_wheel, "sdist": cmd_sdist,
     "marker": cmd_marker, "requirement": cmd_requirement}[args.cmd](args)


if __name__ == "__main__":
    main()
