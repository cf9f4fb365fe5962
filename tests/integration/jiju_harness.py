"""jiju_harness - start the real Jiju services as processes, submit through
real sockets, follow real streams. Used by the integration tests; nothing
here stands in for a service.

The Python protobuf classes are generated from proto/ with protoc into the
test's work directory, exactly as a department system would do.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import zmq

BIN = os.environ.get("JIJU_BIN_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "build")
SRC = os.environ.get("JIJU_SRC_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def generate_proto(workdir):
    out = os.path.join(workdir, "py")
    os.makedirs(out, exist_ok=True)
    protos = sorted(glob.glob(os.path.join(SRC, "proto", "jiju", "v1", "*.proto")))
    subprocess.check_call(["protoc", "-I", os.path.join(SRC, "proto"), "--python_out", out] + protos)
    if out not in sys.path:
        sys.path.insert(0, out)


_port_locks = []  # lock files held for the life of this process


def free_base(span=20):
    """A block of `span` ports that are free now, in 10000-20000: below the
    kernel's ephemeral range, so no outgoing connection takes one of them
    while the stack runs.

    ctest runs tests in parallel, and a bind test alone cannot keep two of
    them from choosing the same block in the same millisecond (CI saw it):
    each block is also claimed with an flock on a file that this process
    holds until it exits, and the kernel releases if it is killed."""
    import fcntl
    import random
    import socket
    rng = random.SystemRandom()
    lockdir = os.path.join(tempfile.gettempdir(), "jiju-test-ports")
    os.makedirs(lockdir, exist_ok=True)
    for _ in range(500):
        base = 10000 + rng.randrange(10000 // span) * span
        fd = os.open(os.path.join(lockdir, str(base)), os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        socks = []
        try:
            for p in range(base, base + span):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            _port_locks.append(fd)
            return base
        except OSError:
            os.close(fd)
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of ports")


class PortBlock:
    """Ports handed out one at a time from a block claimed by free_base()."""

    def __init__(self, span=20):
        self.base = free_base(span)
        self.span = span
        self.next = 0

    def take(self):
        if self.next >= self.span:
            raise RuntimeError("port block exhausted")
        self.next += 1
        return self.base + self.next - 1


# ---- CURVE (docs/operations.md "Security") ----

def keygen(path, name):
    """A key pair file made by `jiju keygen`; returns the public key (Z85)."""
    return subprocess.check_output([f"{BIN}/cli/jiju", "keygen", "--name", name,
                                    "--out", path]).decode().strip()


def client_keys():
    """A client key pair as a department system makes it with pyzmq:
    (public, secret), Z85 text."""
    pub, sec = zmq.curve_keypair()
    return pub.decode(), sec.decode()


def set_curve(sock, curve):
    """curve: None (plain) or (server_public, client_public, client_secret).
    Set before connect."""
    if curve:
        server, public, secret = curve
        sock.curve_serverkey = server.encode()
        sock.curve_publickey = public.encode()
        sock.curve_secretkey = secret.encode()


def request(endpoint, data, curve=None, wait_ms=5000):
    """One request on a fresh DEALER (curve: as set_curve); the reply bytes,
    or None when nothing came within wait_ms (a CURVE key not on the
    allow-list gets exactly that)."""
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    set_curve(s, curve)
    s.connect(endpoint)
    s.send(data)
    got = s.recv() if s.poll(wait_ms) else None
    s.close()
    return got


class Pinger:
    """A query client on one persistent connection that times each answer
    (connection set-up is not counted): ping() sends `data` (bytes, or a
    callable giving them) and returns the seconds until the reply, or None
    after wait_ms."""

    def __init__(self, endpoint, data, curve=None):
        self.s = zmq.Context.instance().socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        set_curve(self.s, curve)
        self.s.connect(endpoint)
        self.data = data
        self.worst = 0.0
        self.times = []

    def ping(self, wait_ms=2000):
        while self.s.poll(0):  # a late answer to an earlier ping
            self.s.recv()
        t0 = time.monotonic()
        self.s.send(self.data() if callable(self.data) else self.data)
        if not self.s.poll(wait_ms):
            return None
        self.last = self.s.recv()
        took = time.monotonic() - t0
        self.worst = max(self.worst, took)
        self.times.append(took)
        return took

    def close(self):
        self.s.close()


class Proc:
    """One service process with its command line, restartable."""

    def __init__(self, name, argv, logpath, env=None):
        self.name, self.argv, self.logpath, self.env = name, argv, logpath, env
        self.p = None

    def start(self):
        log = open(self.logpath, "ab")
        self.p = subprocess.Popen(self.argv, stdout=log, stderr=log, env=self.env)
        log.close()

    def kill9(self):
        if self.p and self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
            self.p.wait()

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def alive(self):
        return self.p is not None and self.p.poll() is None


class Stack:
    """The four services on 127.0.0.1 ports base..base+9, stores in workdir."""

    def __init__(self, base_port=None, ingest_replicas=1, workdir=None, extra_env=None,
                 ingest_args=(), security=None, metrics=False, service_args=None):
        """security: None for plain TCP, or a list of client key entries
        (keys file format) to allow besides the services' own keys; then
        every service gets a key pair (self.public[name]) and the keys file.
        metrics: serve GET /metrics on every service, on the ports in
        self.metrics_port (by process name), 127.0.0.1 only.
        service_args: {"assessment"|"archive"|"notification"|"ingest"|"*":
        [extra argv]} ("*": every service)."""
        self.work = workdir or tempfile.mkdtemp(prefix="jiju-it-")
        self.base = base_port or free_base()
        generate_proto(self.work)
        env = dict(os.environ)
        env.update(extra_env or {})
        self.env = env
        hb = ["--set", "stream.heartbeat_ms=200", "--set", "stream.timeout_ms=2000"]
        b = self.base
        self.ep = {
            "assessment_stream": f"tcp://127.0.0.1:{b + 1}",
            "assessment_query": f"tcp://127.0.0.1:{b + 2}",
            "archive_stream": f"tcp://127.0.0.1:{b + 3}",
            "archive_query": f"tcp://127.0.0.1:{b + 4}",
            "deliveries": f"tcp://127.0.0.1:{b + 5}",
            "notify_admin": f"tcp://127.0.0.1:{b + 6}",
        }
        self.ingest_eps = [f"tcp://127.0.0.1:{b + 10 + i}" for i in range(ingest_replicas)]
        d = self.work
        self.procs = {}
        self.public = {}
        sec = self._security(security) if security is not None else {}
        more = service_args or {}
        for name in ("assessment", "archive", "notification", "ingest"):
            sec[name] = list(sec.get(name, [])) + list(more.get("*", [])) + list(more.get(name, []))
        self.metrics_port = {}
        if metrics:  # b+7..b+9, ingest replicas b+15.. (their submit ports are b+10..)
            self.metrics_port = {"assessment": b + 7, "archive": b + 8, "notification": b + 9}
            self.metrics_port.update({f"ingest-{i + 1}": b + 15 + i for i in range(ingest_replicas)})
            assert ingest_replicas <= 5, "metrics ports: at most 5 ingest replicas in a block"
            for name, port in self.metrics_port.items():
                svc = name.split("-")[0]
                sec.setdefault(svc, [])
                sec[svc] = sec[svc] + ([] if svc == "ingest" else
                                       ["--set", f"metrics.port={port}"])
        self._add("assessment", [
            f"{BIN}/services/assessment/jiju-assessment",
            "--config", f"{SRC}/deploy/config/assessment.json",
            "--set", f"data_dir={d}/assessment",
            "--set", f"stream.endpoint={self.ep['assessment_stream']}",
            "--set", f"query.endpoint={self.ep['assessment_query']}"] + hb +
            sec.get("assessment", []))
        self._add("archive", [
            f"{BIN}/services/archive/jiju-archive",
            "--set", f"data_dir={d}/archive",
            "--set", f"stream.endpoint={self.ep['archive_stream']}",
            "--set", f"events.endpoint={self.ep['assessment_stream']}",
            "--set", f"query.endpoint={self.ep['archive_query']}"] + hb +
            sec.get("archive", []))
        self._add("notification", [
            f"{BIN}/services/notification/jiju-notification",
            "--set", f"data_dir={d}/notification",
            "--set", f"subscriptions_file={SRC}/deploy/config/subscriptions.json",
            "--set", f"events.endpoint={self.ep['assessment_stream']}",
            "--set", f"deliveries.endpoint={self.ep['deliveries']}",
            "--set", f"admin.endpoint={self.ep['notify_admin']}"] + hb +
            sec.get("notification", []))
        for i, ep in enumerate(self.ingest_eps):
            self._add(f"ingest-{i + 1}", [
                f"{BIN}/services/ingest/jiju-ingest",
                "--set", f"instance=ingest-{i + 1}",
                "--set", f"data_dir={d}/ingest-{i + 1}",
                "--set", f"submit.endpoint={ep}",
                "--set", f"assessment.endpoint={self.ep['assessment_stream']}",
                "--set", f"archive.endpoint={self.ep['archive_stream']}"] + hb +
                sec.get("ingest", []) + list(ingest_args) +
                (["--set", f"metrics.port={self.metrics_port[f'ingest-{i + 1}']}"]
                 if metrics else []))

    def _security(self, clients):
        """Key pairs for the services (the ingest replicas share one), one
        keys file for all, and each service's --set security.* flags."""
        keydir = os.path.join(self.work, "keys")
        os.makedirs(keydir, exist_ok=True)
        entries = []
        for name in ("assessment", "archive", "notification", "ingest"):
            self.public[name] = keygen(os.path.join(keydir, f"{name}.key"), name)
            entries.append({"public": self.public[name], "name": name, "role": "service"})
        self.keys_file = os.path.join(keydir, "keys.json")
        with open(self.keys_file, "w") as f:
            json.dump({"keys": entries + list(clients)}, f, indent=1)

        def flags(name, peers):
            out = ["--set", f"security.secret_key_file={keydir}/{name}.key",
                   "--set", f"security.keys_file={self.keys_file}"]
            for peer in peers:
                out += ["--set", f"security.{peer}_public_key={self.public[peer]}"]
            return out
        return {"assessment": flags("assessment", []),
                "archive": flags("archive", ["assessment"]),
                "notification": flags("notification", ["assessment"]),
                "ingest": flags("ingest", ["assessment", "archive"])}

    def _add(self, name, argv):
        self.procs[name] = Proc(name, argv, os.path.join(self.work, f"{name}.log"), self.env)

    def start_all(self):
        for name in ["assessment", "archive", "notification"] + [
                n for n in self.procs if n.startswith("ingest")]:
            self.procs[name].start()
        time.sleep(0.3)
        for p in self.procs.values():
            if not p.alive():
                raise RuntimeError(f"{p.name} died at start; see {p.logpath}:\n" +
                                   open(p.logpath, errors="replace").read()[-3000:])

    def stop_all(self):
        for p in self.procs.values():
            p.stop()

    def logs(self, name, tail=3000):
        return open(self.procs[name].logpath, errors="replace").read()[-tail:]

    def cleanup(self):
        self.stop_all()
        if os.environ.get("JIJU_KEEP") is None:
            shutil.rmtree(self.work, ignore_errors=True)


# ---- submitting ----

class Submitter:
    """Pipelined SubmitRequests over DEALER sockets, spread across ingest
    endpoints; a request not answered within timeout is sent again (to the
    next endpoint). Safe because ingest answers DUPLICATE for a report id it
    already accepted."""

    def __init__(self, endpoints, window=500, timeout=3.0, curve=None):
        from jiju.v1 import submit_pb2  # noqa: F401
        self.ctx = zmq.Context.instance()
        self.eps = endpoints
        self.socks = []
        for ep in endpoints:
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.SNDTIMEO, 20000)
            set_curve(s, curve)
            s.connect(ep)
            self.socks.append(s)
        self.window, self.timeout = window, timeout
        self.pending = {}      # request_id -> [bytes, sent_at, endpoint index, tries]
        self.replies = {}      # request_id -> SubmitReply
        self.next = 0

    def _send(self, rid, data, idx):
        try:
            self.socks[idx].send(data, zmq.NOBLOCK)
        except zmq.Again:
            # The pipe to this replica is full (it was killed and its queue
            # holds what we sent before): wait for it, up to SNDTIMEO, as a
            # client under backpressure would; zmq.Again again is a failure.
            self.socks[idx].send(data)
        self.pending[rid] = [data, time.monotonic(), idx, self.pending.get(rid, [0, 0, 0, 0])[3] + 1]

    def _poll(self, ms):
        from jiju.v1 import submit_pb2
        poller = zmq.Poller()
        for s in self.socks:
            poller.register(s, zmq.POLLIN)
        for s, _ in poller.poll(ms):
            while True:
                try:
                    msg = s.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                r = submit_pb2.SubmitReply()
                r.ParseFromString(msg)
                if r.request_id in self.pending:
                    del self.pending[r.request_id]
                    self.replies[r.request_id] = r
        now = time.monotonic()
        for rid, (data, at, idx, tries) in list(self.pending.items()):
            if now - at > self.timeout:
                self._send(rid, data, (idx + 1) % len(self.socks))

    def submit_all(self, requests, on_progress=None):
        """requests: iterable of SubmitRequest, or of (SubmitRequest, endpoint
        index) to choose the replica. Returns {request_id: reply}."""
        for req in requests:
            idx = None
            if isinstance(req, tuple):
                req, idx = req
            while len(self.pending) >= self.window:
                self._poll(50)
            data = req.SerializeToString()
            if idx is None:
                idx = self.next % len(self.socks)
                self.next += 1
            self._send(req.request_id, data, idx)
            if on_progress:
                on_progress(len(self.replies))
        while self.pending:
            self._poll(50)
            if on_progress:
                on_progress(len(self.replies))
        return self.replies

    def wait_registry(self, clusters, timeout=60):
        """Wait until every ingest replica knows every cluster in `clusters`.

        Ingest learns the registry by following assessment's events, so a
        fixed sleep after registering is a guess that fails on a loaded
        machine. Each replica is asked directly with a probe report that can
        never be accepted (tax above revenue): its reply lists
        E_UNKNOWN_CLUSTER for as long as the cluster is not known yet."""
        from jiju.v1 import submit_pb2
        missing = {idx: set(clusters) for idx in range(len(self.socks))}
        deadline = time.monotonic() + timeout
        while any(missing.values()):
            if time.monotonic() > deadline:
                raise AssertionError(f"ingest replicas still miss clusters: "
                                     f"{ {self.eps[i]: sorted(m)[:5] for i, m in missing.items() if m} }")
            for idx, sock in enumerate(self.socks):
                asked = {}
                for c in missing[idx]:
                    rid = f"probe-{uuid.uuid4().hex}"
                    req = report_request(rid, c, "2023")
                    req.report.tax_fen = req.report.revenue_fen + 1
                    sock.send(req.SerializeToString())
                    asked[rid] = c
                until = time.monotonic() + 5.0
                while asked and time.monotonic() < until:
                    if not sock.poll(100):
                        continue
                    r = submit_pb2.SubmitReply()
                    r.ParseFromString(sock.recv())
                    c = asked.pop(r.request_id, None)
                    if c is None:
                        continue   # a late reply to an earlier submit or probe
                    got = {p.code for p in r.problems}
                    # the probe must have been validated, not refused earlier
                    assert r.status == submit_pb2.REJECTED and "E_TAX_ABOVE_REVENUE" in got, r
                    if "E_UNKNOWN_CLUSTER" not in got:
                        missing[idx].discard(c)
            if any(missing.values()):
                time.sleep(0.1)

    def close(self):
        for s in self.socks:
            s.close()


def report_request(report_id, cluster, period, revision=1, revenue_fen=100_000_000,
                   enterprises=40, employment=1200):
    from jiju.v1 import submit_pb2
    req = submit_pb2.SubmitRequest(request_id=report_id)
    r = req.report
    r.report_id, r.cluster_id, r.period, r.revision = report_id, cluster, period, revision
    r.enterprises = enterprises
    r.investment_fen = revenue_fen // 5
    r.output_value_fen = revenue_fen * 2
    r.revenue_fen = revenue_fen
    r.tax_fen = revenue_fen // 20
    r.employment = employment
    return req


CATEGORY_OF = {}


def register_request(cluster_id, name, category=1, county="船营区", industries=("物流",)):
    from jiju.v1 import submit_pb2
    req = submit_pb2.SubmitRequest(request_id="reg-" + cluster_id)
    c = req.command.register_cluster.cluster
    c.id, c.name, c.category, c.county = cluster_id, name, category, county
    c.level = 1
    c.leading_industries.extend(industries)
    c.management_org = name + "管理委员会"
    return req


def command_request(kind, **fields):
    from jiju.v1 import submit_pb2
    req = submit_pb2.SubmitRequest(request_id=f"cmd-{kind}-{uuid.uuid4().hex[:8]}")
    sub = getattr(req.command, kind)
    for k, v in fields.items():
        setattr(sub, k, v)
    return req


# ---- following a stream ----

class StreamTail:
    """A store-less consumer of one stream (the protocol of stream.proto):
    HELLO, RESUME, RECORDs, ACK after handling, heartbeats, reconnect on
    silence. Records are handed over as (seq, Envelope)."""

    def __init__(self, endpoint, stream, consumer_id, from_seq=1, credit=2000, timeout=3.0,
                 curve=None):
        from jiju.v1 import stream_pb2  # noqa: F401
        self.ep, self.stream, self.id, self.curve = endpoint, stream, consumer_id, curve
        self.last_error = None  # "CODE: message" of the last ERROR frame
        self.next_seq, self.credit, self.timeout = from_seq, credit, timeout
        self.ctx = zmq.Context.instance()
        self.sock = None
        self._connect()

    def _frame(self, **kw):
        from jiju.v1 import stream_pb2
        return stream_pb2.StreamFrame(**kw).SerializeToString()

    def _connect(self):
        from jiju.v1 import stream_pb2
        if self.sock:
            self.sock.close()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        set_curve(self.sock, self.curve)
        self.sock.connect(self.ep)
        self.sock.send(self._frame(hello=stream_pb2.Hello(
            peer_id=self.id, role=stream_pb2.CONSUMER, stream=self.stream, protocol_version=1)))
        self.state = "hello"
        self.last_rx = time.monotonic()
        self.last_tx = time.monotonic()

    def _send(self, data):
        self.sock.send(data)
        self.last_tx = time.monotonic()

    def poll(self, ms=100):
        """Return a list of (seq, Envelope) received within ms; ACKs them."""
        from jiju.v1 import envelope_pb2, stream_pb2
        out = []
        if self.sock.poll(ms):
            while True:
                try:
                    msg = self.sock.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self.last_rx = time.monotonic()
                f = stream_pb2.StreamFrame()
                f.ParseFromString(msg)
                kind = f.WhichOneof("kind")
                if kind == "hello":
                    self._send(self._frame(resume=stream_pb2.Resume(
                        next_seq=self.next_seq, credit=self.credit)))
                    self.state = "active"
                elif kind == "record" and self.state == "active":
                    if f.record.seq < self.next_seq:
                        continue
                    if f.record.seq > self.next_seq:
                        self._send(self._frame(resume=stream_pb2.Resume(
                            next_seq=self.next_seq, credit=self.credit)))
                        continue
                    env = envelope_pb2.Envelope()
                    env.ParseFromString(f.record.envelope)
                    out.append((f.record.seq, env))
                    self.next_seq = f.record.seq + 1
                elif kind == "error":
                    self.last_error = f"{f.error.code}: {f.error.message}"
                    self._connect()
                    return out
        if out:
            self._send(self._frame(ack=stream_pb2.Ack(seq=self.next_seq - 1)))
        now = time.monotonic()
        if now - self.last_tx > 0.5:
            self._send(self._frame(heartbeat=stream_pb2.Heartbeat(position=self.next_seq - 1)))
        if now - self.last_rx > self.timeout:
            self._connect()
        return out

    def close(self):
        self.sock.close()


def assess_query(endpoint, **kind):
    """One QueryRequest to assessment's query endpoint (query.proto), e.g.
    assess_query(ep, get_targets=query_pb2.GetTargets(year=2022)); the
    QueryReply, asserted ok."""
    from jiju.v1 import query_pb2
    raw = request(endpoint, query_pb2.QueryRequest(request_id="q", **kind).SerializeToString(),
                  wait_ms=10000)
    assert raw is not None, "assessment query timed out"
    rep = query_pb2.QueryReply()
    rep.ParseFromString(raw)
    assert rep.ok, rep.error
    return rep


def assert_applied_once(events_ep, accepted, consumer_id, curve=None, timeout=240):
    """Follow assessment's events stream from seq 1 (curve: as set_curve)
    until every report id in `accepted` was applied, then for 2 s more, and
    assert each was applied exactly once and none rejected or unknown: the
    exactly-once check of the compose and Swarm tests. Returns the count."""
    tail = StreamTail(events_ep, "events", consumer_id, from_seq=1, curve=curve)
    counts, rejected = {}, {}

    def all_applied():
        for _, env in tail.poll(200):
            body = env.WhichOneof("body")
            if body == "report_accepted":
                rid = env.report_accepted.report.report_id
                counts[rid] = counts.get(rid, 0) + 1
            elif body == "report_rejected":
                rejected[env.report_rejected.report.report_id] = env.report_rejected
        return accepted <= set(counts) | set(rejected)
    try:
        wait_until(all_applied, timeout, what="assessment to apply every accepted report")
        end = time.monotonic() + 2
        while time.monotonic() < end:
            all_applied()
    finally:
        tail.close()
    assert not rejected, f"assessment rejected: {list(rejected.items())[:3]}"
    twice = {k: v for k, v in counts.items() if v != 1}
    assert not twice, f"applied more than once: {list(twice.items())[:5]}"
    assert set(counts) == accepted, f"applied but never accepted: {list(set(counts) - accepted)[:5]}"
    return len(counts)


def wait_until(pred, timeout, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
