#!/usr/bin/python3
"""`jiju import` against the real services: a statistics form of 25 rows
with Chinese headers, 20 good and 5 bad (a bad amount, an unknown cluster, a
bad period, a missing column, non-UTF-8 bytes). The 20 are imported, the 5
are named by row, and importing the same file again changes nothing.

usage: test_csv_import.py BUILD_DIR
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def jiju(stack, *args):
    env = dict(os.environ, JIJU_INGEST=",".join(stack.ingest_eps),
               JIJU_ASSESSMENT_QUERY=stack.ep["assessment_query"])
    return subprocess.run([f"{h.BIN}/cli/jiju", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def main():
    stack = h.Stack()
    ok = False
    try:
        stack.start_all()
        r = jiju(stack, "submit", os.path.join(DATA, "demo_clusters.json"))
        assert r.returncode == 0, r.stdout + r.stderr
        tail = h.StreamTail(stack.ep["assessment_stream"], "events", "it-csv-registry")
        seen = set()

        def registered():
            for _, env in tail.poll(100):
                if env.WhichOneof("body") == "cluster_registered":
                    seen.add(env.cluster_registered.cluster.id)
            return len(seen) >= 14
        h.wait_until(registered, 30, what="demo clusters registered")
        tail.close()
        probe = h.Submitter(stack.ingest_eps)
        probe.wait_registry(sorted(seen))  # ingest follows assessment's events
        probe.close()

        r = jiju(stack, "import", os.path.join(DATA, "import_25.csv"))
        out = r.stdout + r.stderr
        print(out)
        assert r.returncode != 0, "bad rows must make the exit status non-zero"
        m = re.search(r"imported=(\d+) rejected=(\d+)", out)
        assert m, "no summary line"
        assert (int(m.group(1)), int(m.group(2))) == (20, 5), m.group(0)
        # a bad cell is named as a spreadsheet names it (F6), a refused row by its number
        bad_rows = set(int(x) for x in re.findall(r"(?:^|\n)(?:row |[A-Z]{1,3})(\d+)[: ]", out))
        assert len(bad_rows) >= 5, f"rows named: {sorted(bad_rows)}"
        assert "E_UNKNOWN_CLUSTER" in out, "ingest's refusal of the unknown cluster is shown"

        r = jiju(stack, "import", os.path.join(DATA, "import_25.csv"))
        m = re.search(r"imported=(\d+) rejected=(\d+) duplicate=(\d+)", r.stdout + r.stderr)
        assert m and int(m.group(1)) == 0 and int(m.group(3)) == 20, (r.stdout + r.stderr)[-500:]
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
