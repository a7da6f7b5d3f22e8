# SPDX-License-Identifier: GPL-2.0
"""The Python frames of blockwatch --json against faulthandler's dump.

usage: report-frames.py REPORT.json FAULTHANDLER TARGET_STDOUT

Each thread faulthandler dumped (by ident) is found in the report by its
kernel tid (the target's "thread 0x... TID" lines, tests/python/parking.py);
its frames with "lang":"python", innermost first, must be faulthandler's one
for one: the function (faulthandler prints co_name, the report the qualified
name, whose last part it is), the file and the line ("???": 0). Prints one
line saying how many threads and frames matched, or each difference; exit 0
when every thread matched, 1 otherwise.
"""
import json
import re
import sys


def faulthandler_threads(path):
    threads, cur = {}, None
    for line in open(path, errors="replace"):
        m = re.match(r"^(?:Current thread|Thread) (0x[0-9a-f]+)", line)
        if m:
            cur = int(m.group(1), 16)
            threads[cur] = []
            continue
        m = re.match(r'^  File "(.*)", line (\d+|\?\?\?) in (.*)$', line.rstrip("\n"))
        if m and cur is not None:
            ln = 0 if m.group(2) == "???" else int(m.group(2))
            threads[cur].append((m.group(3), m.group(1), ln))
    return threads


def idents(path):
    tids = {}
    for line in open(path):
        m = re.match(r"^thread (0x[0-9a-f]+) (\d+)$", line.strip())
        if m:
            tids[int(m.group(1), 16)] = int(m.group(2))
    return tids


def report_threads(path):
    threads = {}
    for line in open(path):
        rec = json.loads(line)
        if rec.get("type") != "thread":
            continue
        frames = []
        for f in rec.get("user_stack", []):
            if f.get("lang") != "python":
                continue
            if f.get("sym_source") != "python":
                raise SystemExit("frame with lang python but sym_source %r" % f.get("sym_source"))
            frames.append((f["func"], f.get("file", ""), f.get("line", 0)))
        threads[rec["tid"]] = frames
    return threads


def main():
    fh = faulthandler_threads(sys.argv[2])
    tids = idents(sys.argv[3])
    ours = report_threads(sys.argv[1])
    bad, nframes = [], 0
    for ident, want in sorted(fh.items()):
        tid = tids.get(ident)
        if tid is None:
            bad.append("thread 0x%x: no kernel tid said by the target" % ident)
            continue
        got = ours.get(tid)
        if got is None:
            bad.append("tid %d: not in the report" % tid)
            continue
        short = [(q.rsplit(".", 1)[-1], f, ln) for q, f, ln in got]
        if short != want:
            bad.append("tid %d: faulthandler %s\n    blockwatch   %s" % (tid, want, got))
            continue
        nframes += len(want)
    if not fh:
        bad.append("faulthandler dumped no thread")
    for b in bad:
        print(b)
    if bad:
        return 1
    print("%d threads, %d python frames match faulthandler" % (len(fh), nframes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
