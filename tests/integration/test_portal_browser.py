#!/usr/bin/python3
"""The portal's pages in a real browser (Debian's chromium, headless,
driven by playwright-core from npm: tests/browser/portal_browser.cjs) on a
real stack loaded with the seed's clusters and the 2022 and 2023 reports:
the admin signs in and sees the 2023 ranking and the 一.二 targets with the
numbers assessment computed; a reporter submits a report with a mistake,
sees ingest's problem beside the field, corrects it and sees the 2024
ranking change; a reporter cannot submit for another cluster; a department
reads only its own events; a one-time link signs the admin in. Screenshots
of the pages stay in <build>/portal-screenshots/ (CI artifacts)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from jiju_harness import BIN, SRC, wait_until
from portal_harness import PORTAL, USERS, PortalStack


def yi(fen):
    return f"{fen / 1e10:,.2f} 亿元"


def wan(fen):
    return f"{fen / 1e6:,.2f} 万元"


def pct(micros):
    return f"{micros / 1e4:,.2f}%"


def score(micros):
    return f"{micros / 1e6:,.2f}"


def other_report(cluster):
    return {"report_id": f"browser-{cluster}-2024", "cluster_id": cluster, "period": "2024", "revision": 1,
            "enterprises": 20, "investment_wan": "500", "output_value_wan": "3000", "revenue_wan": "2500",
            "tax_wan": "100", "employment": 400}


def main():
    subprocess.run([os.path.join(SRC, "deploy", "web-deps.sh")], check=True)
    node_modules = os.path.join(SRC, "build", "web", "node_modules")
    shots = os.path.join(BIN, "portal-screenshots")
    shutil.rmtree(shots, ignore_errors=True)
    profile = tempfile.mkdtemp(prefix="jiju-chromium-")
    p = PortalStack(extra_portal_args=["--set", f"web.vendor_dir={SRC}/build/web/vendor"])
    try:
        p.start()
        p.load_demo()
        R = p.request
        assert R("POST", "/api/v1/periods", {"period": "2024"}, user="drc-admin").status == 201
        others = [other_report(c) for c in ("JL-WL-002", "JL-SW-001", "JL-DS-001")]
        for rep in others:
            assert p.submit_report(rep).status == 201
        wait_until(lambda: p.applied("2024", others), 30, 0.1, "2024 ranking of three reports")
        t = R("GET", "/api/v1/targets/2023", user="drc-admin").json()
        rk = p.ranking("2023")["entries"]
        ranked = [e for e in rk if e.get("rank")]
        clusters = R("GET", "/api/v1/clusters", user="drc-admin").json()["clusters"]
        awards = R("GET", "/api/v1/awards", user="czj").json()["awards"]
        link = subprocess.run([PORTAL, "signin-link", "drc-admin", "--set", f"auth.users_file={p.users_file}",
                               "--set", f"auth.session_secret_file={p.secret_file}"],
                              capture_output=True, text=True, check=True).stdout.strip()

        def revenue(e):
            return next(c["raw"] for c in e["contributions"] if c["indicator"] == "revenue")
        case = {
            "url": p.base_url, "node_modules": node_modules, "shots": shots,
            "profile": profile, "signin_link": link,
            "admin": {"name": "drc-admin", "password": USERS["drc-admin"][1]},
            "reporter": {"name": "jl-wl-001-org", "password": USERS["jl-wl-001-org"][1]},
            "department": {"name": "czj", "password": USERS["czj"][1], "events": len(awards)},
            "targets": {"revenue": yi(t["revenue_fen"]), "revenue_target": yi(t["target_revenue_fen"]),
                        "revenue_pct": pct(t["revenue_pct_micros"]), "enterprises": f"{t['enterprises']:,} 户", "employment": f"{t['employment']:,} 人",
                        "enterprises_target": f"{t['target_enterprises']:,}"},
            "ranking": [{"id": e["cluster_id"], "name": e["cluster_name"], "rank": e["rank"],
                         "score": score(e["score_micros"]), "revenue": wan(revenue(e))} for e in ranked],
            "logistics": len([e for e in ranked if e["category"] == "LOGISTICS"]),
            "clusters": [c["name"] for c in clusters],
            "awards_total": f"{sum(a['amount_fen'] for a in awards) / 1e10:,.2f} 亿元"
            if sum(a["amount_fen"] for a in awards) >= 1e10 else wan(sum(a["amount_fen"] for a in awards)),
            "report": {"enterprises": "90", "investment": "9,000", "output_value": "100000",
                       "revenue": "90000.5", "employment": "3000"},
            "report_tax": "3000",
        }
        env = dict(os.environ, JIJU_BROWSER_CASE=json.dumps(case, ensure_ascii=False))
        rc = subprocess.run(["node", os.path.join(SRC, "tests", "browser", "portal_browser.cjs")],
                            env=env, timeout=240).returncode
        after = p.ranking("2024")["entries"]
        wl = next(e for e in after if e["cluster_id"] == "JL-WL-001")
        ok = rc == 0 and wl.get("rank") == 1
        print(f"{'ok  ' if wl.get('rank') == 1 else 'FAIL'} the API agrees: JL-WL-001 ranks first in 2024")
        print(f"screenshots: {shots}")
        return 0 if ok else 1
    finally:
        p.cleanup()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
