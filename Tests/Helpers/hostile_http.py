"""Hostile HTTP/1.1 requests and the check of what a server answers them, shared by the listener's
tests (http-client.py) and the node API's (api-client.py)."""
import json


def hostile_request(rng):
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


def is_error_object_answer(raw):
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
