"""Check that the archive holds every accepted report exactly once, both as
an ingest input ("reports" stream) and as assessment's event ("events"),
by paging through the archive's own query endpoint."""
import zmq

import jiju_harness as h


def query_all(endpoint, curve=None, **filters):
    """Every record matching filters, page by page. curve: as h.set_curve."""
    from jiju.v1 import archive_pb2, envelope_pb2
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    h.set_curve(s, curve)
    s.connect(endpoint)
    out, cursor, n = [], b"", 0
    try:
        while True:
            n += 1
            req = archive_pb2.ArchiveQueryRequest(request_id=f"q{n}", limit=1000, cursor=cursor,
                                                  **filters)
            s.send(req.SerializeToString())
            if not s.poll(10000):
                raise AssertionError("archive query timed out")
            rep = archive_pb2.ArchiveQueryReply()
            rep.ParseFromString(s.recv())
            assert rep.ok, rep.error
            for rec in rep.records:
                env = envelope_pb2.Envelope()
                env.ParseFromString(rec.envelope)
                out.append((rec, env))
            if not rep.next_cursor:
                return out
            cursor = rep.next_cursor
    finally:
        s.close()


def check(stack, accepted):
    """stack: anything with ep["archive_query"], and archive_curve (the
    h.set_curve triple) when the archive runs CURVE."""
    ep = stack.ep["archive_query"]
    curve = getattr(stack, "archive_curve", None)
    for stream in ("reports", "events"):
        counts, inputs = {}, {}

        def complete():
            counts.clear()
            inputs.clear()
            for rec, env in query_all(ep, curve, type="jiju.v1.ReportAccepted", stream=stream):
                rid = env.report_accepted.report.report_id
                counts[rid] = counts.get(rid, 0) + 1
                key = (rid, rec.producer_id)
                inputs[key] = inputs.get(key, 0) + 1
            return accepted <= set(counts)
        h.wait_until(complete, 180, step=1.0, what=f"archive to hold every report ({stream})")
        # An input may come from two replicas: a client that got no answer
        # from a replica that then crashed resends to another, which accepts
        # it too before it has heard of it (assessment applies one of them,
        # checked above). From one producer, and as an event, exactly once.
        twice = {k: v for k, v in (inputs if stream == "reports" else counts).items() if v != 1}
        assert not twice, f"archive {stream}: more than once: {list(twice.items())[:5]}"
        assert set(counts) == accepted, "archive holds reports never accepted"
        extra = sum(counts.values()) - len(counts)
        print(f"archive/{stream}: {len(counts)} reports, each exactly once"
              + (f" per producer ({extra} also accepted by a second replica after a resend)"
                 if extra else ""), flush=True)
