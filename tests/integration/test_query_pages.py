#!/usr/bin/python3
"""Paged query replies (proto/jiju/v1/query.proto "Paging") on the real
services, the CLI and the portal, with enough clusters that one unpaged
GetRanking or ListClusters reply would pass the frame limit.

The services run with limits.max_frame_bytes = 1 MiB, and 6,000 clusters
with long Chinese names are registered and report: the whole ranking is
about 2.5 MB, the whole registry about 1.9 MB (the same ratio as 100,000
clusters to the default 4 MiB, in a few seconds). Checked:
  * a client from before paging (no page fields) gets a bounded first page
    of 1,000, and total_size and next_page_token say that there is more;
  * a Python client paging by the .proto alone gets every cluster once, in
    order, each reply under the limit, and one ranking even while a report
    changes it between pages;
  * bad page_size and page_token are refused in one reply naming field,
    rule and value;
  * `jiju cluster list` and `jiju ranking show` show all 6,000;
  * the portal's /api/v1/clusters and /api/v1/rankings/{p} give all of them,
    and one page at a time with page_size/page_token;
  * the archive's pages of RankingUpdated events stay under the limit.

usage: test_query_pages.py BUILD_DIR
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402
import portal_harness as ph  # noqa: E402

N = 6000
LIMIT = 1 << 20
PERIOD = "2024"
NAME = "吉林市船营区现代服务业集聚区综合物流园区与商贸流通产业融合发展示范基地"  # 36 characters


def ask(ep, **kind):
    from jiju.v1 import query_pb2
    raw = h.request(ep, query_pb2.QueryRequest(request_id="p", **kind).SerializeToString(),
                    wait_ms=20000)
    assert raw is not None, "assessment query timed out"
    rep = query_pb2.QueryReply()
    rep.ParseFromString(raw)
    return rep, len(raw)


def populate(stack):
    sub = h.Submitter(stack.ingest_eps, window=1000, timeout=10.0)
    ids = [f"PG-{i:05d}" for i in range(N)]
    t0 = time.monotonic()
    regs = [h.register_request(c, f"{NAME}{i:05d}", category=1 + i % 9,
                               industries=("现代物流与供应链管理服务", "商贸流通与电子商务服务", "金融服务"))
            for i, c in enumerate(ids)]
    got = sub.submit_all(regs)
    bad = [r for r in got.values() if r.status != 1]
    assert not bad, f"registrations not accepted: {bad[:2]}"
    sub.wait_registry(ids[:1] + ids[-1:])
    reps = [h.report_request(f"{c}-{PERIOD}", c, PERIOD, revenue_fen=100_000_000 + 7_919 * i,
                             enterprises=20 + i % 50, employment=500 + i % 900)
            for i, c in enumerate(ids)]
    got = sub.submit_all(reps)
    sub.close()
    bad = [r for r in got.values() if r.status != 1]
    assert not bad, f"reports not accepted: {bad[:2]}"
    print(f"populate: {N} clusters registered and reported in {time.monotonic() - t0:.1f} s",
          flush=True)
    return ids


def read_all(ep, kind, size=0, between=None):
    """Every page by the .proto alone: (entries, pages, largest reply)."""
    from jiju.v1 import query_pb2
    token, out, pages, largest = "", [], 0, 0
    while True:
        if kind == "clusters":
            rep, n = ask(ep, list_clusters=query_pb2.ListClusters(page_size=size, page_token=token))
        else:
            rep, n = ask(ep, get_ranking=query_pb2.GetRanking(period=PERIOD, page_size=size,
                                                               page_token=token))
        assert rep.ok, rep.error
        largest = max(largest, n)
        out.extend(rep.clusters if kind == "clusters" else rep.ranking)
        pages += 1
        if pages == 1 and between:
            between()
        token = rep.next_page_token
        if not token:
            return out, pages, largest


def main():
    ps = ph.PortalStack(service_args={"*": ["--set", f"limits.max_frame_bytes={LIMIT}"]})
    ep = ps.stack.ep["assessment_query"]
    from jiju.v1 import query_pb2
    try:
        ps.start()
        ids = populate(ps.stack)
        h.wait_until(lambda: ask(ep, get_ranking=query_pb2.GetRanking(period=PERIOD))[0]
                     .total_size == N, 60, 0.2, "assessment to apply every report")

        # an old client: a bounded first page, and it can tell there is more
        for kind, q in (("ranking", dict(get_ranking=query_pb2.GetRanking(period=PERIOD))),
                        ("clusters", dict(list_clusters=query_pb2.ListClusters()))):
            rep, n = ask(ep, **q)
            got = len(rep.ranking) + len(rep.clusters)
            assert rep.ok and got == 1000 and rep.total_size == N and rep.next_page_token, \
                (kind, rep.ok, rep.error, got, rep.total_size)
            assert n < LIMIT, (kind, n)

        # every page, by the .proto alone; one ranking while a report changes it
        clusters, pages, largest = read_all(ep, "clusters", 5000)
        assert [c.id for c in clusters] == ids, "clusters not each once, in id order"
        whole = sum(len(c.SerializeToString()) + 3 for c in clusters)
        assert whole > LIMIT and largest < LIMIT, (whole, largest)
        print(f"ListClusters: {N} in {pages} pages, largest reply {largest} B; "
              f"one reply would be {whole} B > {LIMIT}", flush=True)

        def change():
            sub = h.Submitter(ps.stack.ingest_eps)
            r = sub.submit_all([h.report_request(f"{ids[0]}-{PERIOD}-r2", ids[0], PERIOD, revision=2,
                                                 revenue_fen=900_000_000_000, enterprises=90,
                                                 employment=9000)])
            sub.close()
            assert all(x.status == 1 for x in r.values())
            h.wait_until(lambda: ask(ep, get_ranking=query_pb2.GetRanking(period=PERIOD,
                                                                          page_size=1))[0]
                         .ranking[0].cluster_id == ids[0], 30, 0.2, "the new report ranked")
        ranking, pages, largest = read_all(ep, "ranking", 1000, between=change)
        whole = sum(len(e.SerializeToString()) + 3 for e in ranking)
        assert sorted(e.cluster_id for e in ranking) == ids, "ranking: a cluster twice or missing"
        ranked = [e.rank for e in ranking if e.rank]
        assert ranked == list(range(1, len(ranked) + 1)), "ranks not 1..n across pages"
        assert ranking[0].cluster_id != ids[0], "page 1's ranking, not the changed one"
        assert whole > LIMIT and largest < LIMIT, (whole, largest)
        print(f"GetRanking: {N} in {pages} pages, largest reply {largest} B; "
              f"one reply would be {whole} B > {LIMIT}", flush=True)

        # refused, all problems in one reply
        rep, _ = ask(ep, get_ranking=query_pb2.GetRanking(period=PERIOD, page_size=9999,
                                                           page_token="junk"))
        assert not rep.ok and "E_PAGE_SIZE: get_ranking.page_size must be 0 (meaning 1000) to " \
            "5000, not 9999" in rep.error and 'E_PAGE_TOKEN: get_ranking.page_token "junk"' \
            in rep.error, rep.error

        # the CLI shows everything
        env = dict(os.environ, JIJU_ASSESSMENT_QUERY=ep)
        for argv, want in ((["cluster", "list"], f"clusters={N}\n"),
                           (["ranking", "show", PERIOD], f"clusters={N} ranked=")):
            out = subprocess.run([f"{h.BIN}/cli/jiju"] + argv, env=env, capture_output=True,
                                 text=True, timeout=60)
            assert out.returncode == 0 and want in out.stdout, (argv, out.stderr[-500:])

        # the portal: whole lists, and pages when asked
        r = ps.request("GET", f"/api/v1/rankings/{PERIOD}", user="drc-admin")
        assert r.status == 200 and len(r.json()["entries"]) == N, r.status
        assert "next_page_token" not in r.json()
        seen, token = [], ""
        while True:
            r = ps.request("GET", f"/api/v1/clusters?page_size=2500&page_token={token}",
                           user="drc-admin")
            assert r.status == 200, r.body[:300]
            seen += [c["id"] for c in r.json()["clusters"]]
            token = r.json()["next_page_token"]
            if token is None:
                break
        assert seen == ids, "portal pages"
        r = ps.request("GET", "/api/v1/clusters?page_size=x", user="drc-admin")
        assert r.status == 400 and r.json()["error"]["code"] == "E_PAGE_SIZE", r.body
        r = ps.request("GET", "/api/v1/clusters?page_token=zz", user="drc-admin")
        assert r.status == 400 and "E_PAGE_TOKEN" in r.json()["error"]["message"], r.body

        # the archive: pages of ranking events under the limit
        from jiju.v1 import archive_pb2
        raw = h.request(ps.stack.ep["archive_query"], archive_pb2.ArchiveQueryRequest(
            request_id="a", type="RankingUpdated", limit=1000).SerializeToString(), wait_ms=20000)
        a = archive_pb2.ArchiveQueryReply()
        a.ParseFromString(raw)
        assert a.ok and len(raw) < LIMIT and len(a.records) >= 1, (a.error, len(raw))
        print(f"archive: {len(a.records)} RankingUpdated records in a reply of {len(raw)} B, "
              f"next_cursor {'set' if a.next_cursor else 'empty'}", flush=True)
        print("query pages: ok")
    except BaseException:
        for name in ("assessment", "archive"):
            print(f"--- {name} ---\n{ps.stack.logs(name, 3000)}", file=sys.stderr)
        print(f"--- portal ---\n{open(os.path.join(ps.work, 'portal.log')).read()[-3000:]}",
              file=sys.stderr)
        raise
    finally:
        ps.cleanup()


if __name__ == "__main__":
    main()
