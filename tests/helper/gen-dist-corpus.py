#!/usr/bin/python3
"""Generate the wheel and sdist filename corpora of the differential tests
(tests/fixtures/pep/wheels.txt, sdists.txt) from real PyPI project names and
versions: the sample in tests/fixtures/pypi-projects-sample.tsv, or the full
list given as an argument (pypi-projects.tsv.gz, 886k projects). The
filenames are spelled the ways real uploads spell them (normalized with
'_', the display name with '.' and capitals, build tags, compressed tag
sets), plus a share of broken ones. Deterministic: a fixed seed.

    gen-dist-corpus.py [projects.tsv[.gz]] > /dev/null
"""
import gzip
import os
import random
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "fixtures", "pep")

TAGS = [
    "py3-none-any", "py2.py3-none-any", "py3-none-any", "py2.py3-none-any",
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-manylinux_2_28_aarch64", "cp39-abi3-win_amd64",
    "cp312-cp312-macosx_11_0_arm64", "cp313-cp313t-win_amd64",
    "pp310-pypy310_pp73-manylinux_2_28_aarch64",
    "cp313-cp313-musllinux_1_2_x86_64", "cp38-cp38-win32",
    "cp27-cp27mu-manylinux1_x86_64", "cp36-cp36m-linux_armv7l",
    "py3-none-macosx_10_9_x86_64.macosx_11_0_arm64",
    "cp312-cp312-macosx_10_13_universal2", "cp37-abi3-manylinux2010_i686",
    "cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64",
    "cp38.cp39.cp310-abi3.none-manylinux_2_17_s390x", "Py3-None-Any",
    "py2-none-any", "cp311-cp311-win_arm64", "cp314-cp314-ios_13_0_arm64_iphoneos",
]
BUILDS = ["1", "2", "1a", "20240101", "0_x", "10.post"]
BROKEN = [
    lambda f: f.replace(".whl", ".WHL"),
    lambda f: f.replace("-", "--", 1),
    lambda f: f[: f.rindex("-")] + ".whl",
    lambda f: "foo__bar" + f[f.index("-"):],
    lambda f: f.replace("-", "-a1-", 1) if f.count("-") == 4 else f + "x",
    lambda f: f.replace(".whl", ".tar.gz"),
    lambda f: "a-b-" + f,
]


def projects(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                yield parts[0], parts[1]


def spellings(name):
    norm = re.sub(r"[-_.]+", "_", name).lower()
    return [norm, norm, name.replace("-", "_"), name]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        TOP, "tests", "fixtures", "pypi-projects-sample.tsv")
    rng = random.Random(20261122)
    items = list(projects(path))
    rng.shuffle(items)
    items = items[:3000]
    wheels, sdists = [], []
    for name, ver in items:
        spelled = rng.choice(spellings(name))
        build = "-" + rng.choice(BUILDS) if rng.random() < 0.1 else ""
        f = f"{spelled}{build}-{ver}-{rng.choice(TAGS)}.whl"
        if build:
            f = f"{spelled}-{ver}{build}-{rng.choice(TAGS)}.whl"
        if rng.random() < 0.08:
            f = rng.choice(BROKEN)(f)
        wheels.append(f)
        ext = rng.choice([".tar.gz", ".tar.gz", ".tar.gz", ".zip"])
        sdists.append(f"{rng.choice(spellings(name))}-{ver}{ext}")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "wheels.txt"), "w") as f:
        f.write("\n".join(wheels) + "\n")
    with open(os.path.join(OUT, "sdists.txt"), "w") as f:
        f.write("\n".join(sdists) + "\n")


if __name__ == "__main__":
    main()
