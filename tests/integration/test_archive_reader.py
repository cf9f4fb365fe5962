#!/usr/bin/python3
"""The archive reader (issue 16.2) on real processes: `jiju archive verify
--store` and `jiju-assessment --rebuild-from-archive` read the archive's
store read-only while the archive runs (exit 0, chain intact, rebuild
identical), and refuse a directory that holds no archive store with a clear
error and exit 2, creating nothing. (A tampered chain exits 1:
test_archive_export.)

usage: test_archive_reader.py BUILD_DIR
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

CLUSTERS = ["AR-A", "AR-B", "AR-C"]


def archive_count(stack):
    from jiju.v1 import archive_pb2
    raw = h.request(stack.ep["archive_query"],
                    archive_pb2.ArchiveQueryRequest(request_id="n", limit=1000,
                                                    omit_envelope=True).SerializeToString())
    rep = archive_pb2.ArchiveQueryReply()
    rep.ParseFromString(raw)
    return len(rep.records)


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def main():
    stack = h.Stack()
    jiju = os.path.join(h.BIN, "cli", "jiju")
    ok = False
    try:
        stack.start_all()
        sub = h.Submitter(stack.ingest_eps)
        regs = [h.register_request(c, f"读档测试{c}") for c in CLUSTERS]
        assert all(r.status == 1 for r in sub.submit_all(regs).values())
        sub.wait_registry(CLUSTERS)
        reqs = [h.command_request("open_period", period="2023")]
        reqs += [h.report_request(f"{c}-2023", c, "2023") for c in CLUSTERS]
        assert all(r.status == 1 for r in sub.submit_all(reqs).values())
        # every input (3 + 4) and at least as many events are archived
        h.wait_until(lambda: archive_count(stack) >= 14, 30, what="archive holds the scenario")
        store = os.path.join(stack.work, "archive")

        r = run([jiju, "archive", "verify", "--store", store])
        print(r.stdout.strip(), r.stderr.strip())
        assert stack.procs["archive"].alive(), "the archive died"
        assert r.returncode == 0 and "status=ok" in r.stdout, "verify of a running archive failed"
        checked = int(re.search(r"checked=(\d+)", r.stdout).group(1))
        assert checked >= 14, r.stdout

        a = stack.procs["assessment"]
        rebuilt = os.path.join(stack.work, "assessment-rebuilt")
        argv = [x if not x.startswith("data_dir=") else f"data_dir={rebuilt}" for x in a.argv]
        r = run(argv + ["--rebuild-from-archive", store])
        print(r.stderr.strip().splitlines()[-1])
        assert r.returncode == 0 and "result=identical" in r.stderr, r.stderr[-2000:]

        typo = os.path.join(stack.work, "typo")
        r = run([jiju, "archive", "verify", "--store", typo])
        print(r.returncode, r.stderr.strip())
        assert r.returncode == 2 and f"no archive store at {typo}" in r.stderr, r
        argv2 = [x if not x.startswith("data_dir=") else f"data_dir={rebuilt}-2" for x in a.argv]
        r = run(argv2 + ["--rebuild-from-archive", typo])
        print(r.returncode, r.stderr.strip().splitlines()[-2])
        assert r.returncode == 2 and f"--rebuild-from-archive {typo}: no archive store" in r.stderr
        assert not os.path.exists(typo), "a store was created where none was"
        assert stack.procs["archive"].alive()
        ok = True
    finally:
        if not ok:
            for n in stack.procs:
                print(f"---- {n} log ----\n{stack.logs(n)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
