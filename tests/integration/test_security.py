#!/usr/bin/python3
"""Security (DESIGN.md "Security"): the real services with CURVE keys and
one allow-list. Checks, through real sockets:

  * services reach each other over CURVE (ingest learns the registry from
    assessment; notification fans out assessment's events);
  * an admin key registers clusters and opens a period;
  * a reporter key submits for its own cluster (ACCEPTED), not for another
    (E_FORBIDDEN_CLUSTER) and cannot close a period (E_FORBIDDEN_COMMAND);
  * an unknown key, and a plain client, get nothing through (timeout);
  * a subscriber key reads its own deliveries, is refused another
    subscriber's and assessment's events (E_STREAM_FORBIDDEN), and cannot
    manage subscriptions (E_SUB_FORBIDDEN) while the admin key can;
  * bad security settings are refused at start with file, key and reason;
    without them a service says it runs plain.

usage: test_security.py BUILD_DIR
"""
import json
import os
import signal
import subprocess
import sys
import time


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

ADMIN, REPORTER, FGW, STRANGER = (h.client_keys() for _ in range(4))
CLIENTS = [
    {"public": ADMIN[0], "name": "drc-admin", "role": "admin"},
    {"public": REPORTER[0], "name": "jl-wl-001-org", "role": "reporter",
     "clusters": ["JL-WL-001"]},
    {"public": FGW[0], "name": "fgw", "role": "subscriber", "subscriber": "fgw"},
]


def curve(stack, service, pair):
    return (stack.public[service], pair[0], pair[1])


request = h.request


def submit(stack, pair, req):
    from jiju.v1 import submit_pb2
    raw = request(stack.ingest_eps[0], req.SerializeToString(), curve(stack, "ingest", pair))
    assert raw is not None, f"no reply to {req.request_id}"
    rep = submit_pb2.SubmitReply()
    rep.ParseFromString(raw)
    return rep


def codes(rep):
    return [(p.code, p.field) for p in rep.problems]


def check_roles_at_ingest(stack):
    regs = [h.register_request("JL-WL-001", "物流集聚区一"),
            h.register_request("JL-WL-002", "物流集聚区二")]
    for r in regs:
        rep = submit(stack, ADMIN, r)
        assert rep.status == 1, rep
    rep = submit(stack, ADMIN, h.command_request("open_period", period="2023"))
    assert rep.status == 1, rep
    # ingest learns the registry from assessment, over CURVE
    probe = h.Submitter(stack.ingest_eps[:1], curve=curve(stack, "ingest", ADMIN))
    probe.wait_registry(["JL-WL-001", "JL-WL-002"])
    probe.close()

    own = submit(stack, REPORTER, h.report_request("R-OWN-1", "JL-WL-001", "2023"))
    assert own.status == 1, own
    other = submit(stack, REPORTER, h.report_request("R-OTHER-1", "JL-WL-002", "2023"))
    assert other.status == 4, other
    assert codes(other) == [("E_FORBIDDEN_CLUSTER", "report.cluster_id")], codes(other)
    assert other.problems[0].value == "JL-WL-002"
    close = submit(stack, REPORTER, h.command_request("close_period", period="2023"))
    assert close.status == 4, close
    assert codes(close) == [("E_FORBIDDEN_COMMAND", "command")], codes(close)
    assert close.problems[0].value == "close_period"
    # an admin may report for any cluster
    admin_rep = submit(stack, ADMIN, h.report_request("R-ADMIN-2", "JL-WL-002", "2023"))
    assert admin_rep.status == 1, admin_rep
    # a subscriber key submits nothing
    sub_rep = submit(stack, FGW, h.report_request("R-FGW-1", "JL-WL-001", "2023", revision=2))
    assert codes(sub_rep) == [("E_FORBIDDEN_CLUSTER", "report.cluster_id")], codes(sub_rep)
    # the accepted inputs reached the archive over CURVE too
    h.wait_until(lambda: "event=committed" in stack.logs("archive", 100000), 10,
                 what="the archive to commit what ingest pushed")
    print("ingest roles: ok")


def check_nothing_through(stack):
    from jiju.v1 import query_pb2
    req = h.report_request("R-STRANGER-1", "JL-WL-001", "2023", revision=3).SerializeToString()
    assert request(stack.ingest_eps[0], req, curve(stack, "ingest", STRANGER), 1500) is None
    assert request(stack.ingest_eps[0], req, None, 1000) is None   # plain client
    q = query_pb2.QueryRequest(request_id="q", list_clusters=query_pb2.ListClusters())
    assert request(stack.ep["assessment_query"], q.SerializeToString(),
                   curve(stack, "assessment", STRANGER), 1500) is None
    # an allow-listed key reads what its role allows (test_scoping.py has
    # the whole table): a reporter its own cluster, an admin all of them
    raw = request(stack.ep["assessment_query"], q.SerializeToString(),
                  curve(stack, "assessment", REPORTER))
    rep = query_pb2.QueryReply()
    rep.ParseFromString(raw)
    assert rep.ok and {c.id for c in rep.clusters} == {"JL-WL-001"}, rep
    rep.ParseFromString(request(stack.ep["assessment_query"], q.SerializeToString(),
                                curve(stack, "assessment", ADMIN)))
    assert rep.ok and {c.id for c in rep.clusters} == {"JL-WL-001", "JL-WL-002"}, rep
    h.wait_until(lambda: "event=zap_refused" in stack.logs("ingest-1", 100000), 5,
                 what="ingest to log the refused key")
    print("unknown and plain clients: nothing through")


def tail_until(tail, pred, timeout):
    deadline, got = time.monotonic() + timeout, []
    while time.monotonic() < deadline and not pred(got):
        got.extend(tail.poll(200))
    return got


def check_subscriber(stack):
    ep = stack.ep["deliveries"]
    own = h.StreamTail(ep, "deliveries", "fgw", curve=curve(stack, "notification", FGW))
    mine = tail_until(own, lambda g: any(e.subject == "JL-WL-001" for _, e in g), 15)
    own.close()
    assert any(e.subject == "JL-WL-001" for _, e in mine), [e.type for _, e in mine]
    other = h.StreamTail(ep, "deliveries", "jtj", curve=curve(stack, "notification", FGW))
    tail_until(other, lambda g: other.last_error, 5)
    other.close()
    assert other.last_error and other.last_error.startswith("E_STREAM_FORBIDDEN"), other.last_error
    events = h.StreamTail(stack.ep["assessment_stream"], "events", "fgw",
                          curve=curve(stack, "assessment", FGW))
    got = tail_until(events, lambda g: events.last_error, 5)
    events.close()
    assert not got and events.last_error.startswith("E_STREAM_FORBIDDEN"), events.last_error
    print(f"subscriber: own deliveries ({len(mine)} events), others refused: ok")


def check_subscription_admin(stack):
    from jiju.v1 import subscription_pb2 as sp
    req = sp.SubscriptionRequest(request_id="l", list=sp.ListSubscriptions()).SerializeToString()
    ep = stack.ep["notify_admin"]
    rep = sp.SubscriptionReply()
    rep.ParseFromString(request(ep, req, curve(stack, "notification", FGW)))
    assert not rep.ok and rep.error.startswith("E_SUB_FORBIDDEN"), rep
    rep.ParseFromString(request(ep, req, curve(stack, "notification", ADMIN)))
    assert rep.ok and any(s.subscription.id == "fgw" for s in rep.subscriptions), rep.error
    # a service key (the container health probe) may list, and only list
    with open(os.path.join(stack.work, "keys", "notification.key")) as f:
        pair = json.load(f)
    own = curve(stack, "notification", (pair["public"], pair["secret"]))
    rep.ParseFromString(request(ep, req, own))
    assert rep.ok and any(s.subscription.id == "fgw" for s in rep.subscriptions), rep.error
    add = sp.SubscriptionRequest(request_id="a", add=sp.AddSubscription(
        subscription=sp.Subscription(id="svc-made"))).SerializeToString()
    rep.ParseFromString(request(ep, add, own))
    assert not rep.ok and rep.error.startswith("E_SUB_FORBIDDEN"), rep
    print("subscription admin: admin only (a service key lists): ok")


def check_cli(stack):
    """The `jiju` command with JIJU_CLIENT_KEY_FILE and a server key."""
    keyfile = os.path.join(stack.work, "keys", "cli-admin.key")
    with open(keyfile, "w") as f:
        f.write(f"{ADMIN[0]}\n{ADMIN[1]}\n")
    env = dict(os.environ, JIJU_CLIENT_KEY_FILE=keyfile,
               JIJU_ASSESSMENT_SERVER_KEY=stack.public["assessment"])
    out = subprocess.run([f"{h.BIN}/cli/jiju", "cluster", "list", "--query",
                          stack.ep["assessment_query"]], env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and "JL-WL-002" in out.stdout, out.stdout + out.stderr
    # a reporter's key pair file in jiju keygen's JSON form
    repfile = os.path.join(stack.work, "keys", "cli-reporter.key")
    with open(repfile, "w") as f:
        json.dump({"public": REPORTER[0], "secret": REPORTER[1]}, f)
    env_rep = dict(os.environ, JIJU_CLIENT_KEY_FILE=repfile, JIJU_SERVER_KEY=stack.public["ingest"])
    out = subprocess.run([f"{h.BIN}/cli/jiju", "period", "close", "2023", "--endpoint",
                          stack.ingest_eps[0]], env=env_rep, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 1 and "E_FORBIDDEN_COMMAND" in out.stdout, out.stdout + out.stderr
    # jiju tail (stream_sub) with the subscriber's key
    subfile = os.path.join(stack.work, "keys", "cli-fgw.key")
    with open(subfile, "w") as f:
        f.write(f"{FGW[0]}\n{FGW[1]}\n")
    env_sub = dict(os.environ, JIJU_CLIENT_KEY_FILE=subfile,
                   JIJU_NOTIFICATION_SERVER_KEY=stack.public["notification"])
    out = subprocess.run([f"{h.BIN}/cli/jiju", "tail", "--subscriber", "fgw", "--from", "1",
                          "--count", "1", "--timeout-ms", "10000", "--endpoint",
                          stack.ep["deliveries"]], env=env_sub, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and out.stdout.count("\n") == 1, out.stdout + out.stderr
    print("cli over CURVE (query, refused command, tail): ok")


def start_refused(binary, flags, work):
    p = subprocess.run([binary, "--set", f"data_dir={work}/refused"] + flags,
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr


def check_config_refusals(stack):
    bad = os.path.join(stack.work, "keys", "bad.json")
    with open(bad, "w") as f:
        json.dump({"keys": [{"public": ADMIN[0], "name": "x", "role": "root"}]}, f)
    key = os.path.join(stack.work, "keys", "assessment.key")
    binary = f"{h.BIN}/services/assessment/jiju-assessment"
    rc, err = start_refused(binary, ["--set", f"security.secret_key_file={key}",
                                     "--set", f"security.keys_file={bad}"], stack.work)
    assert rc == 2 and f"file={bad}" in err and "key=keys[0].role" in err and \
        "unknown role" in err, err
    rc, err = start_refused(binary, ["--set", f"security.secret_key_file={key}",
                                     "--set", "security.keys_file=/nonexistent.json"], stack.work)
    assert rc == 2 and "key=security.keys_file" in err, err
    rc, err = start_refused(f"{h.BIN}/services/archive/jiju-archive", [
        "--set", f"security.secret_key_file={key}", "--set", f"security.keys_file={stack.keys_file}",
        "--set", "security.assessment_public_key=not-a-key"], stack.work)
    assert rc == 2 and "key=security.assessment_public_key" in err and "Z85" in err, err
    rc, err = start_refused(f"{h.BIN}/services/archive/jiju-archive", [
        "--set", f"security.keys_file={stack.keys_file}"], stack.work)
    assert rc == 2 and "key=security.secret_key_file" in err, err
    print("config refusals: ok")


def check_reload(stack):
    """SIGHUP re-reads the allow-list: the stranger, now a reporter, submits;
    the reporter removed from the list gets nothing through any more; a
    broken file is refused and the list in force stays."""
    ingest = stack.procs["ingest-1"]
    with open(stack.keys_file) as f:
        doc = json.load(f)
    doc["keys"] = [k for k in doc["keys"] if k["name"] != "jl-wl-001-org"]
    doc["keys"].append({"public": STRANGER[0], "name": "new-org", "role": "reporter",
                        "clusters": ["JL-WL-001"]})
    with open(stack.keys_file, "w") as f:
        json.dump(doc, f)
    ingest.p.send_signal(signal.SIGHUP)
    h.wait_until(lambda: "event=keys_reloaded" in stack.logs("ingest-1", 100000), 10,
                 what="ingest to reload its allow-list")
    rep = submit(stack, STRANGER, h.report_request("R-NEW-1", "JL-WL-001", "2023", revision=4))
    assert rep.status == 1, rep
    req = h.report_request("R-OLD-9", "JL-WL-001", "2023", revision=5).SerializeToString()
    assert request(stack.ingest_eps[0], req, curve(stack, "ingest", REPORTER), 1500) is None

    with open(stack.keys_file, "w") as f:
        f.write('{"keys": [')
    ingest.p.send_signal(signal.SIGHUP)
    h.wait_until(lambda: "event=keys_refused" in stack.logs("ingest-1", 100000), 10,
                 what="ingest to refuse a broken allow-list")
    assert "action=kept_previous" in stack.logs("ingest-1", 100000)
    assert ingest.alive()
    rep = submit(stack, STRANGER, h.report_request("R-NEW-2", "JL-WL-001", "2023", revision=6))
    assert rep.status == 1, rep
    print("allow-list reload on SIGHUP (and a broken file kept out): ok")


def check_plain_says_so(work):
    log = os.path.join(work, "plain.log")
    with open(log, "wb") as f:
        p = subprocess.Popen([f"{h.BIN}/services/assessment/jiju-assessment",
                              "--set", f"data_dir={work}/plain",
                              "--set", "stream.endpoint=tcp://127.0.0.1:*",
                              "--set", "query.endpoint=tcp://127.0.0.1:*"], stdout=f, stderr=f)
    try:
        h.wait_until(lambda: "event=started" in open(log).read(), 10, what="plain start")
    finally:
        p.terminate()
        p.wait(10)
    text = open(log).read()
    assert "event=security mode=plain note=\"plain TCP: local demo only\"" in text, text
    assert text.count("level=warn") == 1, text
    print("plain mode: one warning line: ok")


def main():
    stack = h.Stack(security=CLIENTS)
    try:
        stack.start_all()
        for name in stack.procs:
            h.wait_until(lambda: "event=security mode=curve" in stack.logs(name, 100000), 5,
                         what=f"{name} in CURVE mode")
        check_roles_at_ingest(stack)
        check_nothing_through(stack)
        check_subscriber(stack)
        check_subscription_admin(stack)
        check_cli(stack)
        check_config_refusals(stack)
        check_plain_says_so(stack.work)
        check_reload(stack)
        for p in stack.procs.values():
            assert p.alive(), f"{p.name} died; see {p.logpath}"
        print("security: all checks passed")
    except BaseException:
        for name in stack.procs:
            sys.stderr.write(f"--- {name} ---\n{stack.logs(name)}\n")
        raise
    finally:
        stack.cleanup()


if __name__ == "__main__":
    main()
