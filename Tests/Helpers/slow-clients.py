#!/usr/bin/env python3
"""Slow HTTP clients (a Slowloris) for the listener tests.

usage: slow-clients.py PORT COUNT [ADDRESSES] [INTERVAL] [FIRST]

Opens COUNT connections to 127.0.0.1:PORT, spread over ADDRESSES source addresses of the
loopback network (127.0.0.FIRST, the next, ...; FIRST 2 and 50 addresses unless given), and sends
each a request one byte every INTERVAL seconds (default 5). Writes "connected COUNT" to stderr once every connection is made,
then "closed N" each time the server closed N more of them, and runs until killed.
"""
import selectors
import socket
import sys
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
addresses = int(sys.argv[3]) if len(sys.argv) > 3 else 50
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
first = int(sys.argv[5]) if len(sys.argv) > 5 else 2
request = b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Padding: " + b"x" * 4000 + b"\r\n\r\n"

selector = selectors.DefaultSelector()
clients = []
for index in range(count):
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.bind(("127.0.0.%d" % (first + index % addresses), 0))
    client.connect(("127.0.0.1", port))
    client.send(request[:1])
    client.setblocking(False)
    selector.register(client, selectors.EVENT_READ)
    clients.append([client, 1])
print("connected %d" % count, file=sys.stderr, flush=True)

closed = 0
next_byte = time.monotonic() + interval
while True:
    timeout = max(0.0, next_byte - time.monotonic())
    for key, _ in selector.select(timeout):
        try:
            data = key.fileobj.recv(65536)
        except OSError:
            data = b""
        if not data:
            selector.unregister(key.fileobj)
            key.fileobj.close()
            closed += 1
            print("closed %d" % closed, file=sys.stderr, flush=True)
    if time.monotonic() >= next_byte:
        next_byte += interval
        for entry in clients:
            client, sent = entry
            if client.fileno() < 0 or sent >= len(request):
                continue
            try:
                client.send(request[sent:sent + 1])
                entry[1] = sent + 1
            except OSError:
                pass
