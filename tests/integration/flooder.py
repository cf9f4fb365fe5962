#!/usr/bin/python3
"""A hostile client for test_flood.py: CONNS connections spread over the
given endpoints, for SECONDS, sending as fast as ZeroMQ takes them:

  * garbage frames (random bytes, 16-200 of them): not protobuf at all;
  * HELLO frames: every connection says it is the same consumer of the
    endpoint's stream, so each HELLO competes with the others' sessions;
  * 64 MiB frames, one per connection every few seconds (above every
    service's limits.max_frame_bytes: ZeroMQ must drop the connection);
  * and, twice a second, a plain TCP connection that sends bytes that are
    not ZMTP at all (a failed handshake).

Sends never block (NOBLOCK: a full queue drops the frame here); prints one
line of JSON with what it sent. usage:
  flooder.py PY_PROTO_DIR SECONDS CONNS STREAM ENDPOINT [ENDPOINT...]
"""
import json
import os
import random
import socket
import sys
import time

import zmq


def main():
    # below the services: on a shared CI box this client and the services
    # compete for the same cores, and the test is about the services
    os.nice(19)
    py, seconds, conns, stream = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    eps = sys.argv[5:]
    sys.path.insert(0, py)
    from jiju.v1 import stream_pb2
    hello = stream_pb2.StreamFrame(hello=stream_pb2.Hello(
        peer_id="flood-consumer", role=stream_pb2.CONSUMER, stream=stream,
        protocol_version=1)).SerializeToString()
    huge = zmq.Frame(b"\x0a" + os.urandom(1024) * (64 * 1024))  # 64 MiB + 1 byte
    ctx = zmq.Context()
    socks = []
    for i in range(conns):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDHWM, 1000)
        s.connect(eps[i % len(eps)])
        socks.append(s)
    rng = random.Random(7)
    garbage = [os.urandom(rng.randrange(16, 200)) for _ in range(64)]
    sent = {"garbage": 0, "hello": 0, "huge": 0, "dropped": 0, "not_zmtp": 0}
    next_raw = time.monotonic()
    next_huge = [time.monotonic() + rng.uniform(0.5, 4.0) for _ in socks]
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        if time.monotonic() > next_raw:
            next_raw = time.monotonic() + 0.5
            host, port = eps[sent["not_zmtp"] % len(eps)][len("tcp://"):].rsplit(":", 1)
            try:
                with socket.create_connection((host, int(port)), timeout=1) as raw:
                    raw.sendall(b"GET / HTTP/1.0\r\n\r\n" + os.urandom(64))
                sent["not_zmtp"] += 1
            except OSError:
                pass
        for i, s in enumerate(socks):
            n += 1
            try:
                if n % 50 == 0:
                    s.send(hello, zmq.NOBLOCK)
                    sent["hello"] += 1
                else:
                    s.send(garbage[n % len(garbage)], zmq.NOBLOCK)
                    sent["garbage"] += 1
                if n % 200 == 0 and time.monotonic() > next_huge[i]:
                    s.send(huge, zmq.NOBLOCK, copy=False)
                    sent["huge"] += 1
                    next_huge[i] = time.monotonic() + 4.0
            except zmq.Again:
                sent["dropped"] += 1
            # drain whatever the service answers, so our side stays small
            try:
                while True:
                    s.recv(zmq.NOBLOCK)
            except zmq.Again:
                pass
    for s in socks:
        s.close()
    ctx.term()
    print(json.dumps(sent), flush=True)


if __name__ == "__main__":
    main()
