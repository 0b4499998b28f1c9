#!/usr/bin/python3
"""An independent reference for pyti-pep metadata: Python's own
email.parser (compat32, what pip and packaging use) and
email.utils.getaddresses, plus the documented choices of common/metadata.h
(unfolding, Description dedent, U+FFFD for bad bytes, RawMetadata keys).
Prints the JSON pyti-pep metadata should print for FILE; the fixture
.expected files were written by it and checked by hand.

    metadata-expected.py FILE > FILE-without-ext.expected
"""
import email.parser
import email.policy
import email.utils
import json
import re
import sys

LIST = {"dynamic": "dynamic", "platform": "platforms",
        "supported-platform": "supported_platforms",
        "license-file": "license_files", "classifier": "classifiers",
        "requires-dist": "requires_dist",
        "requires-external": "requires_external",
        "provides-extra": "provides_extra", "provides-dist": "provides_dist",
        "obsoletes-dist": "obsoletes_dist", "requires": "requires",
        "provides": "provides", "obsoletes": "obsoletes",
        "import-name": "import_names", "import-namespace": "import_namespaces"}
STR = ["metadata-version", "name", "version", "summary", "description",
       "description-content-type", "home-page", "download-url", "author",
       "author-email", "maintainer", "maintainer-email", "license",
       "license-expression", "requires-python"]


def unfold(name, value):
    value = value.replace("\r\n", "\n")
    if name.lower() != "description":
        return re.sub(r"\n(?=[ \t])", "", value)
    lines = value.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        if line.startswith("       |") or line.startswith("        "):
            out.append(line[8:])
        else:
            out.append(line.lstrip(" \t"))
    return "\n".join(out)


def main():
    raw = open(sys.argv[1], "rb").read()
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    fields = [(k, unfold(k, v)) for k, v in msg._headers]
    out, unparsed = {}, {}
    by = {}
    for k, v in fields:
        by.setdefault(k.lower(), []).append((k, v))
    for low, items in by.items():
        values = [v for _, v in items]
        if low in LIST:
            out[LIST[low]] = values
        elif low in STR and len(values) == 1:
            out[low.replace("-", "_")] = values[0]
        elif low == "keywords" and len(values) == 1:
            out["keywords"] = [k.strip() for k in values[0].split(",")]
        elif low == "project-url":
            urls = {}
            for v in values:
                label, _, url = v.partition(",")
                if label.strip() in urls:
                    urls = None
                    break
                urls[label.strip()] = url.strip()
            if urls is None:
                unparsed[items[0][0]] = values
            else:
                out["project_urls"] = urls
        else:
            unparsed.setdefault(items[0][0], []).extend(values)
    for who in ("author", "maintainer"):
        if who + "_email" in out:
            out[who + "_addresses"] = [
                {"name": n, "email": e}
                for n, e in email.utils.getaddresses([out[who + "_email"]])
                if n or e]
    body = msg.get_payload()
    if body:
        out["description"] = body.replace("\r\n", "\n") if False else body
    if unparsed:
        out["unparsed"] = unparsed
    print(json.dumps(out, sort_keys=True, ensure_ascii=False,
                     separators=(",", ":")))


if __name__ == "__main__":
    main()
