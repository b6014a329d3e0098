#!/usr/bin/env python3
"""Real HTTP clients for the listener tests (Python's http.client and raw sockets).

usage:
  http-client.py keepalive PORT N PATH    N requests over one kept-alive connection; prints
                                          "statuses S1,S2,... connections C"
  http-client.py fuzz PORT N SEED         N malformed or hostile requests, each on a connection of
                                          its own; prints "ok N" when every answer was a 4xx or 5xx
                                          with the error object (or a clean close), else
                                          "bad REQUEST -> ANSWER" lines and exits 1
"""
import http.client
import json
import random
import socket
import sys


def keepalive(port, count, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    statuses, sockets = [], set()
    for _ in range(count):
        connection.request("GET", path)
        sockets.add(id(connection.sock))
        response = connection.getresponse()
        response.read()
        statuses.append(str(response.status))
    connection.close()
    print("statuses %s connections %d" % (",".join(statuses), len(sockets)))


def hostile(rng):
    """One request a parser must refuse, or survive."""
    valid_head = b"GET /ok HTTP/1.1\r\nHost: fuzz\r\n"
    choices = [
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) + b"\r\n\r\n",
        lambda: b"GET /ok HTTP/1.1\nHost: x\n\n",
        lambda: b"GET /ok HTTP/9.9\r\nHost: x\r\n\r\n",
        lambda: b"GET  /ok HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda: b"G\x00T /ok HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda: b"GET ok HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda: b"GET /ok HTTP/1.1\r\n\r\n",
        lambda: valid_head + b"Bad Name: 1\r\n\r\n",
        lambda: valid_head + b"X: a\r\n folded\r\n\r\n",
        lambda: valid_head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        lambda: valid_head + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        lambda: valid_head + b"Content-Length: -1\r\n\r\n",
        lambda: valid_head + b"Content-Length: 99999999999999999999999\r\n\r\n",
        lambda: valid_head + b"Content-Length: 1e3\r\n\r\n",
        lambda: valid_head + b"Transfer-Encoding: gzip\r\n\r\n",
        lambda: valid_head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        lambda: valid_head + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n",
        lambda: valid_head + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
        lambda: valid_head + b"X-Big: " + b"y" * rng.randrange(20000, 40000) + b"\r\n\r\n",
        lambda: valid_head + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n",
        lambda: b"GET /" + b"a" * rng.randrange(20000, 30000) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda: b"\r\n" * rng.randrange(1, 5) + b"BREW /pot HTCPCP/1.0\r\n\r\n",
        lambda: valid_head + b"Content-Length: 2000000\r\n\r\n",
    ]
    return rng.choice(choices)()


def answer_is_an_error_object(raw):
    if not raw:
        return True  # closed without an answer: allowed for bytes that are not HTTP at all
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].split(b" ")
    if len(status_line) < 2 or not status_line[1].isdigit():
        return False
    status = int(status_line[1])
    if not 400 <= status < 600:
        return False
    try:
        document = json.loads(body.decode())
        return isinstance(document["error"]["code"], str) and isinstance(document["error"]["message"], str)
    except Exception:
        return False


def fuzz(port, count, seed):
    rng = random.Random(seed)
    bad = []
    for _ in range(count):
        request = hostile(rng)
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            client.sendall(request)
        except OSError:
            pass  # the server may answer and close before reading it all
        raw = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                raw += data
        except OSError:
            pass
        client.close()
        if not answer_is_an_error_object(raw):
            bad.append("bad %r -> %r" % (request[:80], raw[:200]))
    if bad:
        print("\n".join(bad[:20]))
        sys.exit(1)
    print("ok %d" % count)


if __name__ == "__main__":
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "keepalive":
        keepalive(port, int(sys.argv[3]), sys.argv[4])
    else:
        fuzz(port, int(sys.argv[3]), int(sys.argv[4]))
