#!/usr/bin/python3
"""The portal's JSON API on a real stack (four services + jiju-portal):
every endpoint answers with the services' data, every role is refused where
it must be, browser sessions need their CSRF token, a sign-in link works
once, bad JSON and oversized bodies get a clear 4xx and the portal lives on,
and a report with mistakes gets ingest's problems (HTTP 422)."""
import json
import os
import re
import subprocess
import sys
import urllib.parse

from jiju_harness import BIN, SRC, wait_until
from portal_harness import PORTAL, USERS, PortalStack, check, verdict


def main():
    p = PortalStack()
    try:
        p.start()
        p.load_demo()
        run(p)
        check(p.portal.alive(), "the portal is still running after every bad request")
        reply_limit(p)
    finally:
        p.cleanup()
    return verdict("API")


def run(p):
    R = p.request
    ok, diff = openapi_covers_routes()
    check(ok, "docs/openapi.yaml lists exactly the routes the portal answers", diff)

    # ---- nothing without a role except the health check and signing in ----
    check(R("GET", "/healthz").status == 200, "GET /healthz without credentials")
    for path in ["/api/v1/clusters", "/api/v1/periods", "/api/v1/rankings/2023",
                 "/api/v1/targets/2023", "/api/v1/awards", "/api/v1/warnings",
                 "/api/v1/eliminations", "/api/v1/nominations", "/api/v1/overdue",
                 "/api/v1/archive", "/api/v1/archive/verify", "/api/v1/events",
                 "/api/v1/events/stream", "/api/v1/session", "/", "/index.html"]:
        r = R("GET", path)
        check(r.status == 401 and r.header("WWW-Authenticate"), f"GET {path} without a role is 401",
              r)
    r = R("GET", "/", headers={"Accept": "text/html"})
    check(r.status == 303 and r.header("Location") == "/login", "a browser is sent to /login", r)
    r = R("GET", "/api/v1/clusters", headers={"Authorization": "Bearer jiju_not-a-token"})
    check(r.status == 401, "an unknown token is 401", r)

    # ---- reads, for every role ----
    for user in USERS:
        r = R("GET", "/api/v1/clusters", user=user)
        ids = {c["id"] for c in r.json()["clusters"]}
        check(r.status == 200 and len(ids) == 14 and "JL-WL-001" in ids,
              f"{user}: 14 clusters of the seed", r)
    c = {x["id"]: x for x in R("GET", "/api/v1/clusters", user="fgw").json()["clusters"]}
    check(c["JL-WL-001"]["category"] == "LOGISTICS" and c["JL-WL-001"]["category_zh"] == "现代物流园",
          "cluster category by name and in Chinese", c["JL-WL-001"])

    rk = p.ranking("2023")
    e = rk["entries"]
    check(rk["final"] is True and rk["status"] == "final" and len(e) == 14, "2023 ranking is final",
          rk.get("status"))
    ranked = [x for x in e if x.get("rank")]
    check([x["rank"] for x in ranked] == list(range(1, 14)), "the 13 that reported 2023 ranked 1..13")
    unranked = {x["cluster_id"]: x for x in e if not x.get("rank")}
    check(unranked.get("JL-SC-002", {}).get("status") == "RANK_STATUS_NOT_REPORTED" and
          unranked["JL-SC-002"].get("status_reason"), "JL-SC-002 listed as 未报送, with the reason",
          unranked)
    for x in ranked:
        pts = sum(cn.get("points_micros", 0) for cn in x["contributions"])
        if pts != x.get("score_micros", 0):
            check(False, f"contributions of {x['cluster_id']} sum to its score", (pts, x))
            break
    else:
        check(True, "every entry's per-indicator contributions sum to its score")
    r = R("GET", "/api/v1/rankings/2023Q5", user="fgw")
    check(r.status == 400 and r.json()["error"]["code"] == "E_PERIOD_SYNTAX", "bad period is 400", r)

    t = R("GET", "/api/v1/targets/2023", user="czj").json()
    check(t["target_clusters"] == 13 and t["target_revenue_fen"] == 55 * 10**8 * 100 and
          t["target_enterprises"] == 550 and t["target_employment"] == 20000,
          "2023 targets are the seed's 一.二 (13 clusters, 55亿元, 550户, 2万人)", t)
    check(t["enterprises"] > 0 and t["revenue_fen"] > 0, "2023 progress counts reports", t)
    r = R("GET", "/api/v1/targets/20x3", user="czj")
    check(r.status == 400 and r.json()["error"]["code"] == "E_YEAR", "bad year is 400", r)

    per = {x["period"]: x for x in R("GET", "/api/v1/periods", user="fgw").json()["periods"]}
    check(per.get("2022", {}).get("status") == "closed" and per.get("2023", {}).get("status") ==
          "closed" and per["2023"].get("deadline_ms"), "periods 2022 and 2023 closed", per)

    aw = R("GET", "/api/v1/awards?period=2023", user="czj").json()["awards"]
    kinds = {a["kind"] for a in aw}
    check(len([a for a in aw if a["kind"] == "TOP_RANKED"]) == 3 and
          {a["cluster_id"] for a in aw if a["kind"] == "TOP_RANKED"} ==
          {x["cluster_id"] for x in ranked[:3]}, "2023 TOP_RANKED awards go to the first three", aw)
    allaw = R("GET", "/api/v1/awards", user="czj").json()["awards"]
    check(any(a["kind"] == "NEW_PROVINCIAL" and a["cluster_id"] == "JL-WL-002" for a in allaw),
          "NEW_PROVINCIAL award for JL-WL-002", kinds)
    w = R("GET", "/api/v1/warnings?period=2022", user="fgw").json()["warnings"]
    check(any(x["cluster_id"] == "JL-SC-002" and "no report" in x["reasons"] for x in w),
          "warning for JL-SC-002 that did not report 2022", w)
    el = R("GET", "/api/v1/eliminations", user="fgw").json()["eliminations"]
    check(any(x["cluster_id"] == "JL-SC-002" for x in el),
          "JL-SC-002 eliminated after two unreported periods", el)
    check(R("GET", "/api/v1/nominations", user="fgw").status == 200, "nominations answer")
    check(R("GET", "/api/v1/awards?period=nope", user="fgw").status == 400, "bad period filter 400")

    # ---- the archive: cursors, roles, the chain ----
    seen, cursor, pages = [], None, 0
    while True:
        q = "/api/v1/archive?limit=50" + (f"&cursor={cursor}" if cursor else "")
        page = R("GET", q, user="drc-admin").json()
        seen += [x["archive_seq"] for x in page["records"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(seen == list(range(1, len(seen) + 1)) and pages > 1 and len(seen) >= page["head_seq"] - 5,
          f"archive paged with cursors ({pages} pages, {len(seen)} records, no gap, no repeat)")
    first = R("GET", "/api/v1/archive?limit=1&type=jiju.v1.ReportAccepted&cluster_id=JL-WL-001",
              user="drc-admin").json()["records"][0]
    check(first["event"]["type"] == "jiju.v1.ReportAccepted" and first["event"]["specversion"] ==
          "1.0" and first["event"]["data"]["report"]["cluster_id"] == "JL-WL-001" and
          len(first["hash"]) == 64, "an archived report as a CloudEvent with its hash", first)
    r = R("GET", "/api/v1/archive?cursor=%%%", user="drc-admin")
    check(r.status == 400, "a bad cursor is 400", r)
    r = R("GET", "/api/v1/archive?limit=5000", user="drc-admin")
    check(r.status == 400, "limit above 1000 is 400", r)
    r = R("GET", "/api/v1/archive?cluster_id=JL-WL-001&limit=5", user="jl-wl-001-org")
    check(r.status == 200 and r.json()["records"], "a reporter reads its own cluster's archive", r)
    r = R("GET", "/api/v1/archive?cluster_id=JL-WL-002", user="jl-wl-001-org")
    check(r.status == 403, "a reporter may not read another cluster's archive", r)
    r = R("GET", "/api/v1/archive", user="jl-wl-001-org")
    check(r.status == 403, "a reporter may not read the whole archive", r)
    check(R("GET", "/api/v1/archive", user="fgw").status == 403, "a subscriber may not read the archive")
    v = R("GET", "/api/v1/archive/verify", user="drc-admin").json()
    check(v["ok"] and v["complete"] and v["checked"] >= v["head_seq"] > 0 and
          v["computed_hash"] == v["head_hash"], "the archive's chain verifies to its head hash", v)
    check(R("GET", "/api/v1/archive/verify", user="jl-wl-001-org").status == 403,
          "verify is for the admin")

    # ---- export: the reports 2023 counts, as CSV ----
    r = R("GET", "/api/v1/export?period=2023", user="drc-admin")
    import csv
    import io
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
    reports = {x["cluster_id"]: x for x in json.load(open(os.path.join(
        SRC, "tests/integration/data/demo_reports_2023.json")))}
    wl = next((x for x in rows if x[0] == "JL-WL-001"), None)
    check(r.status == 200 and r.header("Content-Type").startswith("text/csv") and
          r.body.startswith(b"\xef\xbb\xbf") and rows[0][0] == "集聚区编号" and
          len(rows) == 1 + len(reports) and wl and wl[rows[0].index("营业收入(万元)")] ==
          reports["JL-WL-001"]["revenue_wan"] and wl[rows[0].index("受理时间")].endswith("+08:00"),
          "export 2023: one row per reporting cluster, 万元 exact, Beijing time", rows[:2])
    r = R("GET", "/api/v1/export?period=2023&cluster_id=JL-WL-001", user="jl-wl-001-org")
    check(r.status == 200 and len(r.body.decode("utf-8-sig").strip().splitlines()) == 2,
          "a reporter exports its own cluster", r)
    check(R("GET", "/api/v1/export?period=2023", user="jl-wl-001-org").status == 403,
          "a reporter may not export every cluster")
    check(R("GET", "/api/v1/export?period=2023", user="fgw").status == 403, "a subscriber exports nothing")
    r = R("GET", "/api/v1/export?period=2023&format=xls", user="drc-admin")
    check(r.status == 400 and "\"xls\"" in r.json()["error"]["message"] and
          "xlsx" in r.json()["error"]["message"],
          "an unknown export format is 400, naming it and the formats there are", r)
    # ---- export as an Excel workbook, read back with openpyxl ----
    import portal_xlsx_check
    portal_xlsx_check.check_all(R, check, reports, rows, p.ranking("2023"))

    # ---- submitting: ingest's problems, roles ----
    bad = {"report_id": "api-bad-1", "cluster_id": "JL-WL-001", "period": "2023", "revision": 2,
           "enterprises": -3, "revenue_wan": "100", "tax_wan": "250", "employment": 10,
           "investment_wan": "1", "output_value_wan": "1"}
    r = R("POST", "/api/v1/reports", bad, user="jl-wl-001-org")
    codes = {(x["code"], x["field"]) for x in r.json().get("problems", [])}
    check(r.status == 422 and r.json()["status"] == "REJECTED" and
          ("E_TAX_ABOVE_REVENUE", "report.tax_fen") in codes and
          any(c == "E_NEGATIVE" and f == "report.enterprises" for c, f in codes),
          "a report with mistakes: 422 with every problem ingest found (field and code)", r)
    good = dict(bad, enterprises=70, tax_wan="5", revenue_wan="90000", employment=2600,
                investment_wan="9000", output_value_wan="100000", report_id="api-good-1")
    r = R("POST", "/api/v1/reports", good, user="jl-wl-001-org")
    check(r.status == 422 and any(x["code"] == "E_PERIOD_CLOSED" for x in r.json()["problems"]),
          "a report for the closed 2023 is refused by ingest", r)
    r = R("POST", "/api/v1/periods", {"period": "2024"}, user="drc-admin")
    check(r.status == 201 and r.json()["status"] == "ACCEPTED", "admin opens 2024", r)
    # 2024's deadline (15 days after the year) has passed: assessment's next
    # tick reports every active cluster without a 2024 report overdue.
    def overdue_2024():
        return R("GET", "/api/v1/overdue?period=2024", user="fgw").json()["overdue"]
    wait_until(lambda: any(x["cluster_id"] == "JL-SC-001" for x in overdue_2024()), 30, 0.2,
               "JL-SC-001 overdue for 2024")
    od = overdue_2024()
    check(all(x["period"] == "2024" and x["deadline_ms"] > 0 for x in od) and
          not any(x["cluster_id"] == "JL-SC-002" for x in od),
          "2024 overdue: active clusters only (JL-SC-002 was eliminated)", od)
    od_one = R("GET", "/api/v1/overdue?cluster_id=JL-SC-001", user="fgw").json()["overdue"]
    check(od_one and all(x["cluster_id"] == "JL-SC-001" for x in od_one), "overdue by cluster", od_one)
    good.update(period="2024", revision=1)
    r = p.submit_report(good, user="jl-wl-001-org")
    check(r.status == 201 and r.json()["status"] == "ACCEPTED" and r.json()["seq"] > 0,
          "the reporter's corrected report is accepted (201)", r)
    r = R("POST", "/api/v1/reports", good, user="jl-wl-001-org")
    check(r.status == 200 and r.json()["status"] == "DUPLICATE", "the same report again: DUPLICATE", r)
    r = R("POST", "/api/v1/reports", dict(good, enterprises=71), user="jl-wl-001-org")
    check(r.status == 409 and r.json()["status"] == "CONFLICT", "same id, other content: 409", r)
    other = dict(good, cluster_id="JL-WL-002", report_id="api-other-1")
    r = R("POST", "/api/v1/reports", other, user="jl-wl-001-org")
    pr = r.json().get("problems", [{}])[0]
    check(r.status == 403 and pr.get("code") == "E_FORBIDDEN_CLUSTER" and
          pr.get("field") == "report.cluster_id", "a reporter cannot submit for another cluster", r)
    r = R("POST", "/api/v1/reports", other, user="fgw")
    check(r.status == 403 and r.json()["error"]["code"] == "E_FORBIDDEN_ROLE",
          "a subscriber submits no reports", r)
    r = R("POST", "/api/v1/reports", {"cluster_id": "JL-WL-001", "enterprises": "many"},
          user="drc-admin")
    check(r.status == 422 and r.json()["problems"][0]["field"] == "report.enterprises",
          "a field of the wrong type names the field", r)
    r = R("POST", "/api/v1/reports", {"cluster_id": "JL-WL-001", "colour": 1}, user="drc-admin")
    check(r.status == 422 and "colour" in r.json()["problems"][0]["field"], "an unknown key", r)
    for who in ("jl-wl-001-org", "fgw", "czj"):
        for method, path, body in [("POST", "/api/v1/periods", {"period": "2025"}),
                                   ("POST", "/api/v1/periods/2024/close", None),
                                   ("POST", "/api/v1/clusters", {"id": "X-1"}),
                                   ("POST", "/api/v1/commands", {"open_period": {"period": "2025"}})]:
            r = R(method, path, body, user=who)
            check(r.status == 403, f"{who}: {method} {path} is 403", r)
    r = R("POST", "/api/v1/commands", {}, user="drc-admin")
    check(r.status == 422 and r.json()["problems"][0]["code"] == "E_COMMAND_EMPTY", "empty command", r)
    r = R("POST", "/api/v1/clusters", {"id": "JL-NEW-001", "name": "新区", "category": "物流"},
          user="drc-admin")
    check(r.status == 422, "a cluster with an unknown category is refused", r)
    r = R("POST", "/api/v1/clusters", {"id": "JL-NEW-001", "name": "测试物流园", "category": "LOGISTICS",
                                       "county": "船营区", "level": "CITY",
                                       "leading_industries": ["物流"], "management_org": "测试管委会"},
          user="drc-admin")
    check(r.status == 201, "admin registers a cluster", r)
    r = R("POST", "/api/v1/periods/2024/close", user="drc-admin")
    check(r.status == 201, "admin closes 2024", r)

    # ---- the feed's roles (the feed itself: test_portal_feed.py) ----
    for who in ("drc-admin", "jl-wl-001-org"):
        check(R("GET", "/api/v1/events", user=who).status == 403, f"{who} reads no department feed")
    ev = R("GET", "/api/v1/events?limit=100", user="czj").json()
    check(ev["events"] and all(x["type"] == "jiju.v1.AwardGranted" for x in ev["events"]),
          "czj reads only its own deliveries (awards)", [x["type"] for x in ev["events"]][:5])
    check(R("GET", "/api/v1/events?after=x", user="czj").status == 400, "bad after is 400")

    # ---- bad bodies: clear 4xx, never a crash ----
    r = R("POST", "/api/v1/reports", raw=b"{\"report_id\": ", user="drc-admin",
          headers={"Content-Type": "application/json"})
    check(r.status == 400 and r.json()["error"]["code"] == "E_BAD_JSON" and "line 1" in
          r.json()["error"]["message"], "truncated JSON: 400 with line and column", r)
    r = R("POST", "/api/v1/reports", raw=b"[1,2]", user="drc-admin",
          headers={"Content-Type": "application/json"})
    check(r.status == 400, "a JSON array body is 400", r)
    r = R("POST", "/api/v1/reports", raw=b"\xff\xfe{}", user="drc-admin",
          headers={"Content-Type": "application/json"})
    check(r.status == 400, "bytes that are not UTF-8: 400", r)
    r = R("POST", "/api/v1/reports", raw=b"{}", user="drc-admin", headers={"Content-Type": "text/plain"})
    check(r.status == 415, "not application/json: 415", r)
    r = R("POST", "/api/v1/reports", raw=b"{" + b" " * 70000 + b"}", user="drc-admin",
          headers={"Content-Type": "application/json"})
    check(r.status == 413 and r.json()["error"]["code"] == "E_TOO_LARGE", "oversized body: 413", r)
    check(chunked_oversized(p) == 413, "an oversized chunked body (no Content-Length): 413")
    r = R("DELETE", "/api/v1/clusters", user="drc-admin")
    check(r.status == 405, "DELETE is 405", r)
    check(R("GET", "/api/v1/nothing", user="drc-admin").status == 404, "unknown path 404")
    check(R("GET", "/../etc/passwd", user="drc-admin").status == 404, "no path traversal")
    check(R("GET", "/api/v1/rankings/" + "9" * 600, user="drc-admin").status in (400, 414),
          "a very long path")

    # ---- browser sessions: cookies, CSRF, sign-in links ----
    cookie, csrf = p.login("drc-admin")
    r = R("GET", "/api/v1/session", headers={"Cookie": cookie})
    check(r.json()["role"] == "admin" and r.json()["csrf_token"] == csrf, "session says who", r)
    r = R("POST", "/api/v1/periods", {"period": "2025"}, headers={"Cookie": cookie})
    check(r.status == 403 and r.json()["error"]["code"] == "E_CSRF", "a session POST without CSRF", r)
    r = R("POST", "/api/v1/periods", {"period": "2025"}, headers={"Cookie": cookie,
                                                                  "X-CSRF-Token": csrf[:-2] + "xx"})
    check(r.status == 403, "a session POST with a wrong CSRF token", r)
    r = R("POST", "/api/v1/periods", {"period": "2025"}, headers={"Cookie": cookie,
                                                                  "X-CSRF-Token": csrf})
    check(r.status == 201, "a session POST with its CSRF token", r)
    r = R("GET", "/login")
    sc = " ".join(r.cookies())
    check("HttpOnly" in sc and "SameSite=Strict" in sc, "cookies are HttpOnly and SameSite", sc)
    form = urllib.parse.urlencode({"user": "drc-admin", "password": USERS["drc-admin"][1],
                                   "csrf_token": "forged"})
    nonce = [c.split(";")[0] for c in r.cookies() if c.startswith("jiju_login=")][0]
    r = R("POST", "/login", raw=form.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": nonce})
    check(r.status == 403 and not any("jiju_session=v1" in c for c in r.cookies()),
          "a login form without its CSRF token is refused", r)
    token = r.body.decode().split('name="csrf_token" value="')[1].split('"')[0]
    nonce = [c.split(";")[0] for c in r.cookies() if c.startswith("jiju_login=")][0]
    form = urllib.parse.urlencode({"user": "drc-admin", "password": "wrong", "csrf_token": token})
    r = R("POST", "/login", raw=form.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": nonce})
    check(r.status == 401 and "用户名或密码错误" in r.body.decode(), "a wrong password", r)
    r = R("GET", "/api/v1/session", headers={"Cookie": "jiju_session=v1.ZHJjLWFkbWlu.9999999999.x.y"})
    check(r.status == 401, "a forged session cookie is 401", r)
    link = subprocess.run([PORTAL, "signin-link", "drc-admin", "--set",
                           f"auth.users_file={p.users_file}", "--set",
                           f"auth.session_secret_file={p.secret_file}"],
                          capture_output=True, text=True, check=True).stdout.strip()
    r = R("GET", link)
    sess = [c.split(";")[0] for c in r.cookies() if c.startswith("jiju_session=v1")]
    check(r.status == 303 and sess and
          R("GET", "/api/v1/session", headers={"Cookie": sess[0]}).json()["name"] == "drc-admin",
          "a one-time sign-in link signs the admin in", r)
    r = R("GET", link)
    check(r.status == 403 and not r.cookies()[1:], "the same link a second time is refused", r)
    r = R("POST", "/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    check(r.status == 200 and any("Max-Age=0" in c for c in r.cookies()), "logout clears the cookie", r)


def openapi_covers_routes():
    """Every route the portal answers is in docs/openapi.yaml, and every path
    there is a route (the published contract does not drift)."""
    import os
    import re
    from jiju_harness import SRC
    routes = set()
    for method, path in re.findall(r'\{"(GET|POST)", "([^"]+)"',
                                   open(os.path.join(SRC, "services/portal/portal_routes.c")).read()):
        if path == "/":
            continue  # the static pages
        routes.add((method, {"/api/v1/periods/": "/api/v1/periods/{period}/close",
                             "/api/v1/rankings/": "/api/v1/rankings/{period}",
                             "/api/v1/targets/": "/api/v1/targets/{year}"}.get(path, path)))
    spec, path = set(), None
    for line in open(os.path.join(SRC, "docs/openapi.yaml")):
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = m.group(1)
        m = re.match(r"^    (get|post):", line)
        if m and path:
            spec.add((m.group(1).upper(), path))
    return routes == spec, sorted(routes ^ spec)


def reply_limit(p):
    """The rpc clients' reply limit as a setting: the portal's
    rpc.max_reply_bytes (bounds refused at start with file, key and reason)
    and the CLI's --max-reply-bytes. A limit below a reply gives the clear
    error naming the setting, not a timeout; small replies still pass."""
    R = p.request
    bad = subprocess.run(p.portal.argv + ["--set", "rpc.max_reply_bytes=100"],
                         capture_output=True, text=True, timeout=30)
    check(bad.returncode != 0 and "key=rpc.max_reply_bytes" in bad.stderr and
          "4096" in bad.stderr, "rpc.max_reply_bytes=100 is refused at start, naming the key and "
          "its bounds", bad.stderr[-400:])
    q = "/api/v1/archive?limit=100"
    whole = R("GET", q, user="drc-admin")
    check(whole.status == 200 and len(whole.json()["records"]) == 100,
          "100 archive records through the portal by default (an archive reply of tens of KB)",
          whole)
    p.portal.stop()
    argv = p.portal.argv
    p.portal.argv = argv + ["--set", "rpc.max_reply_bytes=4096"]
    try:
        p.start_portal()
        r = R("GET", q, user="drc-admin")
        msg = r.json().get("error", {}).get("message", "") if r.status == 502 else ""
        check(r.status == 502 and r.json()["error"]["code"] == "E_UPSTREAM" and
              "rpc.max_reply_bytes (4096 bytes)" in msg and "archive" in msg,
              "rpc.max_reply_bytes=4096: an archive reply above it is 502 naming the service, the "
              "setting and its value", r)
        check(R("GET", "/healthz").status == 200 and
              R("GET", "/api/v1/archive?limit=1", user="drc-admin").status == 200,
              "replies below the limit still pass", R("GET", "/healthz"))
    finally:
        p.portal.stop()
        p.portal.argv = argv
    # the CLI: the same query, with and without a small limit
    jiju = [f"{BIN}/cli/jiju", "archive", "query", "--limit", "100", "--endpoint",
            p.stack.ep["archive_query"]]
    ok = subprocess.run(jiju, capture_output=True, text=True, timeout=60, env=p.stack.env)
    small = subprocess.run(jiju + ["--max-reply-bytes", "4096"], capture_output=True, text=True,
                           timeout=60, env=p.stack.env)
    check(ok.returncode == 0 and "ReportAccepted" in ok.stdout, "jiju archive query --limit 100",
          ok.stderr[-300:])
    # its cursor: the next page starts where the first ended; a cursor that is not hex is refused
    page = jiju[:3] + ["--limit", "2", "--format", "json"] + jiju[5:]
    first = subprocess.run(page, capture_output=True, text=True, timeout=60, env=p.stack.env)
    cur = re.search(r"next=--cursor ([0-9a-f]+)", first.stderr)
    check(first.returncode == 0 and cur is not None,
          "jiju archive query --limit 2 prints next=--cursor", first.stderr[-300:])
    second = subprocess.run(page + ["--cursor", cur.group(1)], capture_output=True, text=True,
                            timeout=60, env=p.stack.env)
    rows = [[ln for ln in r.stdout.splitlines() if ln.strip()] for r in (first, second)]
    check(second.returncode == 0 and len(rows[0]) == 2 and len(rows[1]) == 2 and
          not set(rows[0]) & set(rows[1]),
          "--cursor from the first page gives the next two records", second.stderr[-300:])
    badcur = subprocess.run(jiju + ["--cursor", "zz"], capture_output=True, text=True, timeout=30,
                            env=p.stack.env)
    check(badcur.returncode != 0, "--cursor zz (not hex) is refused", badcur.stderr[-300:])
    check(small.returncode != 0 and "--max-reply-bytes" in small.stderr and
          "larger than this client takes" in small.stderr,
          "jiju --max-reply-bytes 4096: the reply above it is a clear error naming the option",
          small.stderr[-300:])
    bad = subprocess.run(jiju + ["--max-reply-bytes=12"], capture_output=True, text=True, timeout=30)
    check(bad.returncode == 2 and "--max-reply-bytes \"12\": a number of bytes from 4096" in
          bad.stderr, "jiju --max-reply-bytes=12 is refused with its bounds", bad.stderr)


def chunked_oversized(p):
    """POST 200 KiB with Transfer-Encoding: chunked (no Content-Length)."""
    c = p.conn()
    c.putrequest("POST", "/api/v1/reports")
    c.putheader("Authorization", f"Bearer {p.tokens['drc-admin']}")
    c.putheader("Content-Type", "application/json")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = b" " * 8192
    try:
        for _ in range(25):
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        c.send(b"0\r\n\r\n")
        return c.getresponse().status
    except OSError as e:
        return str(e)
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
