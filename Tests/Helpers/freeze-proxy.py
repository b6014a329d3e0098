#!/usr/bin/env python3
"""A TCP proxy for tests, standing in for a network that freezes mid-transaction.

    freeze-proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT ARM_FILE

Relays 127.0.0.1:LISTEN_PORT to TARGET_HOST:TARGET_PORT. While ARM_FILE exists, the next MySQL
COM_QUERY packet that starts with COMMIT is swallowed and its connection frozen: both sockets stay
open and nothing more is relayed either way, so the server keeps that session and its locks while
the client times out. ARM_FILE is then removed and "frozen" written to stderr. Other connections,
before and after, are relayed as usual. While ARM_FILE holds the word `connections`, every new
connection is frozen as it is accepted instead (a relay that takes the connection and never
answers; "frozen" on stderr for each).
"""
import os
import select
import socket
import sys
import threading

listen_port, target_host, target_port, arm_file = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
frozen = []  # sockets of frozen connections, kept open until the proxy exits
lock = threading.Lock()


def commits(data):
    """True when the bytes hold a COM_QUERY packet whose statement starts with COMMIT."""
    offset = 0
    while offset + 5 <= len(data):
        length = data[offset] | data[offset + 1] << 8 | data[offset + 2] << 16
        payload = data[offset + 4:offset + 4 + length]
        if payload[:1] == b"\x03" and payload[1:7].upper() == b"COMMIT":
            return True
        offset += 4 + length
    return False


def freezes_connections():
    try:
        with open(arm_file) as arm:
            return arm.read().strip() == "connections"
    except FileNotFoundError:
        return False


def relay(client):
    if freezes_connections():
        with lock:
            frozen.append((client,))
        print("frozen", file=sys.stderr, flush=True)
        return
    upstream = socket.create_connection((target_host, target_port))
    while True:
        readable, _, _ = select.select([client, upstream], [], [])
        for source in readable:
            data = source.recv(65536)
            if not data:
                client.close()
                upstream.close()
                return
            if source is client:
                with lock:
                    freeze = os.path.exists(arm_file) and not freezes_connections() and commits(data)
                    if freeze:
                        os.remove(arm_file)
                        frozen.append((client, upstream))
                if freeze:
                    print("frozen", file=sys.stderr, flush=True)
                    return
                upstream.sendall(data)
            else:
                client.sendall(data)


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(64)
print("listening", file=sys.stderr, flush=True)
while True:
    connection, _ = server.accept()
    threading.Thread(target=relay, args=(connection,), daemon=True).start()
