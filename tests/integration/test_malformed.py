#!/usr/bin/python3
"""Malformed bytes never crash a service: every endpoint of every running
service (submit, stream, query, deliveries, admin) gets random garbage,
truncated valid frames, empty frames and odd multipart messages, from
DEALER and REQ sockets. Afterwards every process is still alive, the
endpoints still answer correctly, and a submission with bad bytes is
answered with E_MALFORMED rather than silence.

usage: test_malformed.py BUILD_DIR
"""
import os
import random
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402


def garbage(rng):
    """A mix of nonsense: random bytes, truncated and bit-flipped valid frames."""
    from jiju.v1 import stream_pb2
    valid = [
        stream_pb2.StreamFrame(hello=stream_pb2.Hello(peer_id="x" * 100, role=1,
                                                      stream="reports")).SerializeToString(),
        stream_pb2.StreamFrame(record=stream_pb2.Record(seq=2**63, envelope=b"\xff" * 50))
        .SerializeToString(),
        h.report_request("G1", "NOPE", "2023").SerializeToString(),
    ]
    kind = rng.randrange(5)
    if kind == 0:
        return [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))]
    if kind == 1:
        v = rng.choice(valid)
        return [v[:rng.randrange(len(v))]]
    if kind == 2:
        v = bytearray(rng.choice(valid))
        for _ in range(3):
            v[rng.randrange(len(v))] ^= 1 << rng.randrange(8)
        return [bytes(v)]
    if kind == 3:
        return [b"", b"", b"\x00"]
    return [rng.choice(valid)] * rng.randrange(2, 5)


def main():
    stack = h.Stack()
    ok = False
    rng = random.Random(20211206)
    try:
        stack.start_all()
        ctx = zmq.Context.instance()
        endpoints = list(stack.ep.values()) + stack.ingest_eps
        sent = 0
        for ep in endpoints:
            for stype in (zmq.DEALER, zmq.REQ):
                s = ctx.socket(stype)
                s.setsockopt(zmq.LINGER, 0)
                s.connect(ep)
                for _ in range(200 if stype == zmq.DEALER else 1):
                    s.send_multipart(garbage(rng))
                    sent += 1
                s.close()
        time.sleep(1.0)
        for name, p in stack.procs.items():
            assert p.alive(), f"{name} died on malformed input:\n{stack.logs(name)}"
        # still serving: a malformed submission is answered, a good one accepted
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(stack.ingest_eps[0])
        s.send(b"\x0a\xff\xff\xff\xff\x0f")
        assert s.poll(5000), "no answer to malformed bytes"
        from jiju.v1 import submit_pb2
        rep = submit_pb2.SubmitReply()
        rep.ParseFromString(s.recv())
        assert rep.status == submit_pb2.REJECTED and rep.problems[0].code == "E_MALFORMED", rep
        s.close()
        sub = h.Submitter(stack.ingest_eps)
        r = sub.submit_all([h.register_request("MF-1", "畸形输入测试")])
        assert list(r.values())[0].status == 1
        tail = h.StreamTail(stack.ep["assessment_stream"], "events", "it-malformed")
        h.wait_until(lambda: any(e.WhichOneof("body") == "cluster_registered"
                                 for _, e in tail.poll(100)), 20, what="registration applied")
        tail.close()
        print(f"{sent} malformed messages to {len(endpoints)} endpoints; all services alive "
              "and answering", flush=True)
        ok = True
    finally:
        if not ok:
            for name in stack.procs:
                print(f"---- {name} log ----\n{stack.logs(name)}", file=sys.stderr)
        stack.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
