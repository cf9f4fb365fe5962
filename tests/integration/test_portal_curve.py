#!/usr/bin/python3
"""The portal in front of services that speak only CURVE: its own key pair,
allow-listed with role admin, for submitting and querying; a department's
feed with that department's own subscriber key (security.subscriber_keys_dir),
so notification lets the connection read fgw's deliveries and nothing else;
a department without a key pair there gets 503, not someone else's events."""
import sys
import time

from portal_harness import PortalStack, check, verdict


def main():
    p = PortalStack(curve=True)
    try:
        p.start()
        check("mode=curve" in open(p.portal.logpath).read(), "the portal says it speaks CURVE")
        p.load_demo()  # registering, reporting, closing: all through ingest with the admin key
        rk = p.ranking("2023")
        check(rk["final"] and [e["rank"] for e in rk["entries"] if e.get("rank")] == list(range(1, 14)),
              "the 2023 ranking over CURVE", rk.get("status"))
        # the archive follows ingest and assessment on its own: the demo's
        # records reach it some time after their ACCEPTED, so wait for them
        deadline = time.monotonic() + 30
        while True:
            v = p.request("GET", "/api/v1/archive/verify", user="drc-admin").json()
            if not v.get("ok") or v.get("checked", 0) > 100 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        check(v["ok"] and v["checked"] > 100, "the archive over CURVE", v)
        r = p.request("POST", "/api/v1/reports", {"cluster_id": "JL-WL-002", "period": "2023", "revision": 9},
                      user="jl-wl-001-org")
        check(r.status == 403 and r.json()["problems"][0]["code"] == "E_FORBIDDEN_CLUSTER",
              "a reporter's scope is still the portal's to check", r)
        ev = p.request("GET", "/api/v1/events?after=0&limit=1000&wait=3", user="fgw").json()
        check(len(ev["events"]) > 50 and [int(e["jijuseq"]) for e in ev["events"]] ==
              list(range(1, len(ev["events"]) + 1)), "fgw's feed with fgw's own subscriber key",
              len(ev.get("events", [])))
        r = p.request("GET", "/api/v1/events?after=0", user="czj")
        check(r.status == 503 and "subscriber_keys_dir" in r.json()["error"]["message"],
              "czj has no key pair: 503, no events", r)
    finally:
        p.cleanup()
    return verdict("CURVE")


if __name__ == "__main__":
    sys.exit(main())
