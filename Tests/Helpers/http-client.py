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
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_http import hostile_request, is_error_object_answer  # noqa: E402


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


def fuzz(port, count, seed):
    rng = random.Random(seed)
    bad = []
    for _ in range(count):
        request = hostile_request(rng)
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
        if not is_error_object_answer(raw):
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
