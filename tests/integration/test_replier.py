#!/usr/bin/python3
"""Every request/reply endpoint (ingest submit, assessment query, archive
query, notification admin) is the one common replier: each answers a
request whose request_id is too long (60,000 bytes) or not UTF-8 with an error
that names the field, the rule and the value, never echoing the id (a
reply stays small and parseable); a good id is echoed; ingest answers a
Ping with PONG.

usage: test_replier.py BUILD_DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402


def with_raw_id(msg, raw_id):
    """msg serialized with request_id (field 1) set to raw bytes, which
    Python's protobuf would refuse to build when they are not UTF-8."""
    msg.ClearField("request_id")
    n, varint = len(raw_id), b""
    while True:
        b = n & 0x7F
        n >>= 7
        varint += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return b"\x0a" + varint + raw_id + msg.SerializeToString()


def main():
    stack = h.Stack()  # generates the Python protobuf modules
    from jiju.v1 import archive_pb2, common_pb2, query_pb2, submit_pb2, subscription_pb2
    ok = False
    try:
        stack.start_all()
        endpoints = {
            "assessment": (stack.ep["assessment_query"],
                           lambda: query_pb2.QueryRequest(ping=common_pb2.Ping()),
                           query_pb2.QueryReply),
            "archive": (stack.ep["archive_query"],
                        lambda: archive_pb2.ArchiveQueryRequest(limit=1),
                        archive_pb2.ArchiveQueryReply),
            "notification": (stack.ep["notify_admin"],
                             lambda: subscription_pb2.SubscriptionRequest(
                                 list=subscription_pb2.ListSubscriptions()),
                             subscription_pb2.SubscriptionReply),
            "ingest": (stack.ingest_eps[0],
                       lambda: submit_pb2.SubmitRequest(ping=common_pb2.Ping()),
                       submit_pb2.SubmitReply),
        }
        for name, (ep, make, reply_type) in endpoints.items():
            for raw, rule in ((b"q" * 60000, "60000 bytes"), (b"q\xff\xfe-1", "not UTF-8")):
                data = with_raw_id(make(), raw)
                got = h.request(ep, data)
                assert got is not None, f"{name}: no reply to a bad request_id ({rule})"
                assert len(got) < 2048, f"{name}: {len(got)}-byte reply to a bad request_id"
                rep = reply_type()
                rep.ParseFromString(got)  # parseable: nothing invalid echoed
                assert rep.request_id == "", f"{name}: echoed {rep.request_id[:40]!r}"
                if name == "ingest":
                    assert rep.status == submit_pb2.REJECTED, rep
                    codes = {(p.code, p.field) for p in rep.problems}
                    want = ("E_TOO_LONG" if raw[1:2] == b"q" else "E_UTF8", "request_id")
                    assert want in codes, f"ingest: {codes}"
                    why = [p.message_en for p in rep.problems if p.field == "request_id"][0]
                else:
                    assert not rep.ok and rep.error.startswith("E_REQUEST_ID: request_id"), \
                        f"{name}: {rep.error!r}"
                    assert rule in rep.error, f"{name}: {rep.error!r}"
                    why = rep.error
                print(f"{name}: {rule}: {why[:110]}", flush=True)
            req = make()
            req.request_id = "好-" + "r" * 100  # 103 bytes of UTF-8: echoed
            rep = reply_type()
            rep.ParseFromString(h.request(ep, req.SerializeToString()))
            assert rep.request_id == req.request_id, f"{name}: {rep.request_id!r}"
            if name == "ingest":
                assert rep.status == submit_pb2.PONG and rep.instance == "ingest-1", rep
                print("ingest: Ping answered PONG by ingest-1", flush=True)
        for n, p in stack.procs.items():
            assert p.alive(), f"{n} died:\n{stack.logs(n)}"
        ok = True
    finally:
        if not ok:
            for n in stack.procs:
                print(f"---- {n} log ----\n{stack.logs(n)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
