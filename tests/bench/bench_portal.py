#!/usr/bin/python3
"""Benchmark of jiju-portal (not a test): requests per second of
  - the ranking page's data, GET /api/v1/rankings/2023 (assessment GetRanking
    over ZeroMQ, rendered to JSON),
  - the ranking page itself, GET /ranking.html (a static file),
  - a static style sheet, GET /css/app.css (the HTTP library's baseline),
  - a department's event feed, long-poll GET /api/v1/events?after=0&limit=100
    (a stream session on notification per request, 100 events back),
  - the SSE feed: events per second delivered from seq 1 to the end,
all against one portal in the same run, with wrk (Debian's package), on the
seed's demo data. Medians of ROUNDS rounds of DURATION seconds each.

    build/tests/... not needed: tests/bench/bench_portal.py build [rounds] [seconds]
"""
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from portal_harness import PortalStack  # noqa: E402

ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
DURATION = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def wrk(url, token, conns, threads=2):
    out = subprocess.run(["wrk", "-t", str(min(threads, conns)), "-c", str(conns), "-d", f"{DURATION}s",
                          "--latency", "-H", f"Authorization: Bearer {token}", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p50.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p50.group(1)) * scale, int(errors.group(1)) if errors else 0


def sse_rate(p, n_expected):
    """Events per second over one SSE feed from seq 1 to n_expected."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
    from test_portal_feed import SSE
    t0 = time.monotonic()
    s = SSE(p, "fgw", last_id=0)
    got = s.events(limit=n_expected)
    s.close()
    return len(got) / (time.monotonic() - t0), len(got)


def main():
    p = PortalStack()
    try:
        p.start()
        p.load_demo()
        tok = p.tokens
        feed = p.request("GET", "/api/v1/events?after=0&limit=1000", user="fgw").json()
        n_feed = len(feed["events"])
        cases = [
            ("GET /api/v1/rankings/2023 (ranking data)", f"{p.base_url}/api/v1/rankings/2023", "drc-admin", 16),
            ("GET /ranking.html (ranking page, static)", f"{p.base_url}/ranking.html", "drc-admin", 16),
            ("GET /css/app.css (static file)", f"{p.base_url}/css/app.css", "drc-admin", 16),
            ("GET /api/v1/rankings/2023, 1 connection", f"{p.base_url}/api/v1/rankings/2023", "drc-admin", 1),
            ("GET /css/app.css, 1 connection", f"{p.base_url}/css/app.css", "drc-admin", 1),
            ("GET /api/v1/events?after=0&limit=100 (feed, 1 connection)",
             f"{p.base_url}/api/v1/events?after=0&limit=100", "fgw", 1),
        ]
        res = {name: [] for name, *_ in cases}
        sse = []
        for r in range(ROUNDS):
            for name, url, user, conns in cases:
                res[name].append(wrk(url, tok[user], conns))
            sse.append(sse_rate(p, n_feed))
        print(f"rounds={ROUNDS} duration={DURATION}s feed_events={n_feed} (fgw's sequence)")
        print("| what | connections | requests/s (median) | p50 latency ms (median) | non-2xx |")
        print("|---|---|---|---|---|")
        for name, url, user, conns in cases:
            rows = res[name]
            print(f"| {name} | {conns} | {statistics.median(x[0] for x in rows):,.0f} | "
                  f"{statistics.median(x[1] for x in rows):.2f} | {sum(x[2] for x in rows)} |")
        print(f"| SSE /api/v1/events/stream from seq 1 ({n_feed} events) | 1 | "
              f"{statistics.median(x[0] for x in sse):,.0f} events/s | | |")
    finally:
        p.cleanup()


if __name__ == "__main__":
    main()
