"""Turn checkov's JSON report for the kubernetes framework into a compact,
per-file verdict that applies the committed skip list (checkov-skips.txt).
Run by checkov.sh inside the validator virtualenv.

Skip list format, one check per line:
    CKV_K8S_43          # reason it does not apply (required)
    CKV_K8S_38 inline   # reason; NOT skipped globally, but a per-object
                        # `checkov.io/skipN: CKV_K8S_38=...` annotation is accepted
Every entry must be documented in docs/checkov.md.

A failed check is SKIPPED when its id is a global entry, and FAILS otherwise.
An inline (annotation) suppression checkov honoured is accepted only for ids
listed with `inline` (or globally); otherwise it FAILS, so the renderer cannot
silence checks on its own. Parse errors and inputs without any scanned
Kubernetes object FAIL too.
Exit status: 0 clean, 1 findings, 2 usage or report errors.
"""

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from typing import Any, Dict, List, Tuple

ID_RE = re.compile(r"^CKV2?_(K8S|AZURE)_\d+$")


def load_skips(path: str) -> Tuple[Dict[str, str], Dict[str, str]]:
    global_skips: Dict[str, str] = {}
    inline_ok: Dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            body, _, reason = line.partition("#")
            words = body.split()
            reason = reason.strip()
            if not words or not ID_RE.match(words[0]) or words[1:] not in ([], ["inline"]):
                raise ValueError("%s:%d: expected 'CKV_K8S_<n> [inline]  # reason', got %r" % (path, n, line))
            if not reason:
                raise ValueError("%s:%d: %s has no '# reason'" % (path, n, words[0]))
            target = inline_ok if words[1:] == ["inline"] else global_skips
            if words[0] in global_skips or words[0] in inline_ok:
                raise ValueError("%s:%d: %s listed twice" % (path, n, words[0]))
            target[words[0]] = reason
    return global_skips, inline_ok


def reports(data: Any) -> List[Dict[str, Any]]:
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("unexpected checkov JSON top level: %s" % type(data).__name__)
    # checkov prints a bare summary ({"passed": 0, ...}) when nothing was scanned
    return [r for r in data if isinstance(r, dict) and "results" in r]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skips", required=True)
    parser.add_argument("--framework", default="kubernetes", choices=["kubernetes", "bicep"])
    parser.add_argument("--report", required=True, action="append")
    parser.add_argument("inputs", nargs="+", help="the files/directories checkov scanned")
    args = parser.parse_args()

    try:
        global_skips, inline_ok = load_skips(args.skips)
    except (OSError, ValueError) as e:
        print("error: skip list: %s" % e, file=sys.stderr)
        return 2
    try:
        runs = []
        for path in args.report:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            runs += reports(json.loads(text)) if text.strip() else []
    except (OSError, ValueError) as e:
        print("error: cannot read checkov JSON report: %s" % e, file=sys.stderr)
        return 2

    # file -> counters / lines; keyed by absolute path
    passed: Dict[str, int] = defaultdict(int)
    lines: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    counts: Dict[str, Dict[str, int]] = defaultdict(lambda: {"failed": 0, "skipped": 0})
    seen_failing: set = set()
    parse_errors: List[str] = []
    version = "?"

    for run in runs:
        version = run.get("summary", {}).get("checkov_version", version)
        results = run["results"]
        parse_errors += results.get("parsing_errors", [])
        for r in results.get("passed_checks", []):
            passed[r["file_abs_path"]] += 1
        for r in results.get("failed_checks", []):
            f = r["file_abs_path"]
            cid = r["check_id"]
            seen_failing.add(cid)
            where = "%s (line %d-%d)" % (r["resource"], *r["file_line_range"])
            title = r.get("check_name") or ""
            if cid in global_skips:
                counts[f]["skipped"] += 1
                lines[f].append(("skip", "%s %s: %s [skip list: %s]" % (cid, title, where, global_skips[cid])))
            else:
                counts[f]["failed"] += 1
                lines[f].append(("FAIL", "%s %s: %s" % (cid, title, where)))
        for r in results.get("skipped_checks", []):
            f = r["file_abs_path"]
            cid = r["check_id"]
            where = "%s (line %d-%d)" % (r["resource"], *r["file_line_range"])
            comment = (r.get("check_result") or {}).get("suppress_comment") or "no comment"
            title = r.get("check_name") or ""
            if cid in inline_ok or cid in global_skips:
                counts[f]["skipped"] += 1
                lines[f].append(("skip", "%s %s: %s [inline annotation: %s]" % (cid, title, where, comment)))
            else:
                counts[f]["failed"] += 1
                lines[f].append(("FAIL", "%s %s: %s is suppressed by an inline annotation (%s) but "
                                 "checkov-skips.txt does not allow suppressing it" % (cid, title, where, comment)))

    print("checkov %s, framework %s, skip list scripts/validators/%s" % (version, args.framework, os.path.basename(args.skips)))
    rc = 0
    for e in parse_errors:
        print("FAIL %s: checkov could not parse it" % e)
        rc = 1

    # Map every scanned file to the input it came from, so that each input
    # gets a summary line and inputs where nothing was scanned are caught.
    scanned = set(passed) | set(counts)
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for inp in args.inputs:
        absp = os.path.abspath(inp)
        files = sorted(f for f in scanned
                       if f == absp or f.startswith(absp.rstrip(os.sep) + os.sep))
        if not files:
            print("FAIL %s: checkov scanned no %s in it"
                  % (inp, "Kubernetes objects" if args.framework == "kubernetes" else "Bicep resources"))
            rc = 1
            continue
        for f in files:
            scanned.discard(f)
            shown = os.path.relpath(f) if not os.path.relpath(f).startswith("../..") else f
            for kind, text in sorted(lines[f], key=lambda kt: (kt[0] != "FAIL", kt[1])):
                print("%s %s: %s" % (kind, shown, text))
            c = counts[f]
            print("%s: passed %d, failed %d, skipped %d" % (shown, passed[f], c["failed"], c["skipped"]))
            total["passed"] += passed[f]
            total["failed"] += c["failed"]
            total["skipped"] += c["skipped"]
    for cid in sorted(set(global_skips) - seen_failing):
        print("note: skip-list entry %s did not match any failure in these inputs" % cid)
    print("checkov summary: passed %d, failed %d, skipped %d"
          % (total["passed"], total["failed"], total["skipped"]))
    if total["failed"]:
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
