#!/usr/bin/python3
"""Real clients of the node's API for its tests (Python's http.client; Debian's python3-jsonschema).

usage:
  api-client.py conformance BASE DOCUMENT NAME PASSWORD
      Walks every operation of a test node (events GALA with GA category FLOOR and seated STALLS),
      checking each answer's status and validating its body against DOCUMENT's schema for that
      path, method and status. Prints "ok N" (answers checked), or the failures and exits 1.
  api-client.py race BASE TOKEN EVENT CATEGORY SECONDS CLIENTS
      CLIENTS threads, each on one kept-alive connection, sell one ticket at a time for SECONDS
      (each sale under a key of its own, one in ten sent twice). Prints a JSON summary: sales
      made, replays, sold_out answers, and any other status with its count.
  api-client.py fuzz BASE TOKEN N SEED
      N hostile requests: half malformed HTTP on connections of their own (request lines, header
      fields, chunked bodies, lengths), half with valid framing and a session, each wrong in its
      route, method, query, headers or JSON body. Prints "ok N" when every answer was a 4xx (5xx
      for framing the server does not take) with the error object, or for bytes that are not
      HTTP a clean close; else the failures, and exits 1.
  api-client.py sign-in-flood BASE TOKEN CLIENTS ATTEMPTS
      CLIENTS threads, each from an address of its own (127.0.0.20 on), sign in with made-up names
      up to ATTEMPTS times each; once the first sign-in is refused (or all are answered), the main
      thread sells one ticket on a connection of its own while they go on. Prints a JSON summary:
      the sign-ins' answers by status and code, refusals (429, 503) lacking Retry-After or the error
      object, and the sale's status.
  api-client.py sign-in-burst BASE SOURCE N
      N threads sign in from SOURCE with made-up names at the same moment: each opens its
      connection first, then all send once every one is open. Prints a JSON list of the answers,
      each [status, error code or "", whether Retry-After was given].
"""
import datetime
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_http import hostile_request, is_error_object_answer  # noqa: E402


class Client:
    def __init__(self, base, token=None, source=None):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.token = token
        self.source = (source, 0) if source else None
        self.connection = self.connect()

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=60, source_address=self.source)

    def call(self, method, path, body=None, key=None, headers=None, raw=None):
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", "Bearer " + self.token)
        if key:
            sent["Idempotency-Key"] = key
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=data, headers=sent)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = self.connect()
                if attempt == 1:
                    raise
        document = None
        media = response.getheader("Content-Type", "").split(";")[0]
        if payload and (media == "application/json" or media.endswith("+json")):
            document = json.loads(payload)
        elif payload:
            document = payload
        return response.status, document, response


class Document:
    """The OpenAPI document: the schema of each answer, resolved against its components."""

    def __init__(self, path):
        self.document = json.load(open(path))
        self.registry_root = self.document

    def schema(self, template, method, status):
        operation = self.document["paths"][template][method.lower()]
        answer = operation["responses"].get(str(status))
        if answer is None:
            raise AssertionError("%s %s: status %d is not in the document" % (method, template, status))
        content = answer.get("content", {})
        for media in content.values():
            schema = dict(media["schema"])
            schema["components"] = self.document["components"]
            return schema
        return None

    def validate(self, template, method, status, body, media=None):
        if media is not None:
            content = self.document["paths"][template][method.lower()]["responses"][str(status)]["content"]
            if media not in content:
                raise AssertionError("%s %s %d: %s is not among %s" % (method, template, status, media, sorted(content)))
            if not body:
                raise AssertionError("%s %s %d: an empty %s" % (method, template, status, media))
            return
        schema = self.schema(template, method, status)
        if schema is None:
            if body not in (None, b""):
                raise AssertionError("%s %s %d: a body where the document has none" % (method, template, status))
            return
        jsonschema.Draft202012Validator(schema).validate(body)


def conformance(base, document_path, name, password):
    document = Document(document_path)
    failures, checked = [], [0]
    anonymous = Client(base)

    def check(client, method, template, path, expected, body=None, key=None, headers=None, media=None):
        status, answer, response = client.call(method, path, body=body, key=key, headers=headers)
        try:
            if status != expected:
                raise AssertionError("status %d, expected %d: %s" % (status, expected, answer))
            if media is not None and not response.getheader("Content-Type", "").startswith(media):
                raise AssertionError("Content-Type %s, expected %s" % (response.getheader("Content-Type"), media))
            document.validate(template, method, status, answer, media)
            checked[0] += 1
        except Exception as error:  # collect every failure, then report them all
            failures.append("%s %s: %s" % (method, path, str(error).split("\n")[0]))
        return answer, response

    session, _ = check(anonymous, "POST", "/v1/sessions", "/v1/sessions", 201, {"name": name, "password": password})
    client = Client(base, session["token"])

    def stop_on_failure():
        if failures:
            print("\n".join(failures))
            sys.exit(1)
    check(anonymous, "GET", "/v1/events", "/v1/events", 401)
    check(client, "GET", "/v1/events", "/v1/events", 200)
    check(client, "GET", "/v1/events/{event}/availability", "/v1/events/GALA/availability", 200)
    check(client, "GET", "/v1/events/{event}/availability", "/v1/events/NOPE/availability", 404)
    check(client, "GET", "/v1/events/{event}/seats", "/v1/events/GALA/seats?category=STALLS&available=true", 200)
    check(client, "GET", "/v1/events/{event}/seats", "/v1/events/GALA/seats?available=maybe", 400)
    sale, _ = check(client, "POST", "/v1/sales", "/v1/sales", 201,
                    {"event": "GALA", "category": "FLOOR", "quantity": 2, "payment": {"method": "cash", "tendered_minor": 10000}}, key="conf-sale-0001")
    check(client, "POST", "/v1/sales", "/v1/sales", 201,
          {"event": "GALA", "category": "FLOOR", "quantity": 2, "payment": {"method": "cash", "tendered_minor": 10000}}, key="conf-sale-0001")
    check(client, "POST", "/v1/sales", "/v1/sales", 409,
          {"event": "GALA", "category": "FLOOR", "quantity": 3, "payment": {"method": "cash"}}, key="conf-sale-0001")
    check(client, "POST", "/v1/sales", "/v1/sales", 428, {"event": "GALA", "category": "FLOOR", "quantity": 1, "payment": {"method": "cash"}})
    check(client, "POST", "/v1/sales", "/v1/sales", 400, {"event": "GALA", "category": "FLOOR", "quantity": "1", "payment": {"method": "cash"}}, key="conf-sale-0002")
    check(client, "POST", "/v1/sales", "/v1/sales", 422, {"event": "GALA", "category": "FLOOR", "quantity": 0, "payment": {"method": "cash"}}, key="conf-sale-0003")
    seated, _ = check(client, "POST", "/v1/sales", "/v1/sales", 201,
                      {"event": "GALA", "category": "STALLS", "quantity": 2, "payment": {"method": "card", "reference": "T1-0001"},
                       "customer": {"email": "jo@example.org", "name": "Jo"}}, key="conf-sale-0004")
    check(client, "POST", "/v1/sales", "/v1/sales", 201,
          {"event": "GALA", "category": "STALLS", "seats": ["STALLS-B-1"], "payment": {"method": "cash"}}, key="conf-sale-0005")
    check(client, "POST", "/v1/sales", "/v1/sales", 409,
          {"event": "GALA", "category": "STALLS", "seats": ["STALLS-B-1"], "payment": {"method": "cash"}}, key="conf-sale-0006")
    hold, _ = check(client, "POST", "/v1/holds", "/v1/holds", 201, {"event": "GALA", "category": "STALLS", "seats": ["STALLS-C-1", "STALLS-C-2"]}, key="conf-hold-0001")
    check(client, "POST", "/v1/holds/{hold}/confirm", "/v1/holds/%s/confirm" % hold["hold_id"], 201,
          {"payment": {"method": "cash"}, "customer": {"email": "al@example.org"}}, key="conf-confirm-01")
    other, _ = check(client, "POST", "/v1/holds", "/v1/holds", 201, {"event": "GALA", "category": "FLOOR", "quantity": 1, "ttl_seconds": 600}, key="conf-hold-0002")
    check(client, "POST", "/v1/holds/{hold}/release", "/v1/holds/%s/release" % other["hold_id"], 200, key="conf-release-1")
    check(client, "POST", "/v1/holds/{hold}/confirm", "/v1/holds/%s/confirm" % other["hold_id"], 409, {"payment": {"method": "cash"}}, key="conf-confirm-02")
    stop_on_failure()
    code = sale["tickets"][0]["code"]
    check(client, "GET", "/v1/orders", "/v1/orders?q=jo%40example", 200)
    check(client, "GET", "/v1/orders", "/v1/orders", 400)
    check(client, "GET", "/v1/orders/{order}", "/v1/orders/%s" % sale["order_id"], 200)
    check(client, "GET", "/v1/orders/{order}", "/v1/orders/ord_NONE", 404)
    check(client, "GET", "/v1/tickets/{code}", "/v1/tickets/%s" % code, 200)
    door = {"code": code, "event": "GALA", "gate": "North"}
    check(client, "POST", "/v1/checkins", "/v1/checkins", 200, door, key="conf-door-0001")
    check(client, "POST", "/v1/checkins", "/v1/checkins", 200, door, key="conf-door-0001")
    check(client, "POST", "/v1/checkins", "/v1/checkins", 409, door, key="conf-door-0002")
    check(client, "POST", "/v1/checkins", "/v1/checkins", 409, {"code": code}, key="conf-door-0003")  # wrong day
    check(client, "POST", "/v1/checkins", "/v1/checkins", 422, {"code": "NOT-A-CODE"}, key="conf-door-0004")
    check(client, "GET", "/v1/keys", "/v1/keys", 200)
    scan_list, _ = check(client, "GET", "/v1/events/{event}/scan-list", "/v1/events/GALA/scan-list", 200)
    check(client, "GET", "/v1/events/{event}/scan-list", "/v1/events/NOPE/scan-list", 404)
    stop_on_failure()
    # The scanner's reads are dated once the doors are open (GALA's open within the hour), as a
    # node takes no read dated before its event's doors opened.
    opens = datetime.datetime.strptime(scan_list["event"]["doors_open_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    def read_at(minutes):
        return (opens + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    scanned = {"format": "venue-scanner-admissions/1", "scanner": "HANDHELD-1", "event_id": "GALA", "gate": "C",
               "admissions": [{"code": seated["tickets"][0]["signed_code"], "at": read_at(1)},
                              {"code": door["code"], "at": read_at(2)}]}
    imported, _ = check(client, "POST", "/v1/checkins/imports", "/v1/checkins/imports", 200, scanned, key="conf-import-01")
    if imported and (imported.get("recorded"), len(imported.get("conflicts", []))) != (2, 1):
        failures.append("POST /v1/checkins/imports: %s" % imported)
    check(client, "POST", "/v1/checkins/imports", "/v1/checkins/imports", 400, dict(scanned, extra=1), key="conf-import-02")
    order = seated["order_id"]
    check(client, "GET", "/v1/orders/{order}/tickets", "/v1/orders/%s/tickets" % order, 200, media="image/svg+xml")
    check(client, "GET", "/v1/orders/{order}/tickets", "/v1/orders/%s/tickets?format=pdf" % order, 200, media="application/pdf")
    check(client, "GET", "/v1/orders/{order}/tickets", "/v1/orders/%s/tickets?format=escpos" % order, 200,
          media="application/octet-stream")
    check(client, "GET", "/v1/orders/{order}/tickets", "/v1/orders/%s/tickets?format=text" % order, 200, media="text/plain")
    check(client, "GET", "/v1/orders/{order}/tickets", "/v1/orders/%s/tickets?format=gif" % order, 400)
    check(client, "GET", "/v1/orders/{order}/tickets", "/v1/orders/ord_NONE/tickets", 404)
    qr = "/v1/tickets/%s/qr" % seated["tickets"][0]["code"]
    check(client, "GET", "/v1/tickets/{code}/qr", qr, 200, media="image/svg+xml")
    check(client, "GET", "/v1/tickets/{code}/qr", qr + "?format=png", 200, media="image/png")
    check(client, "GET", "/v1/tickets/{code}/qr", qr, 200, headers={"Accept": "image/png"}, media="image/png")
    check(client, "GET", "/v1/tickets/{code}/qr", qr, 406, headers={"Accept": "application/json"})
    check(client, "GET", "/v1/tickets/{code}/qr", qr + "?format=gif", 400)
    check(client, "GET", "/v1/tickets/{code}/qr", "/v1/tickets/ord_NONE/qr", 404)
    check(client, "GET", "/v1/events/{event}/seat-map", "/v1/events/GALA/seat-map", 200, media="image/svg+xml")
    check(client, "POST", "/v1/orders/{order}/resend", "/v1/orders/%s/resend" % order, 201, {}, key="conf-resend-01")
    check(client, "POST", "/v1/orders/{order}/resend", "/v1/orders/%s/resend" % order, 201, {"to": "friend@example.org"},
          key="conf-resend-02")
    check(client, "POST", "/v1/keys/rotate", "/v1/keys/rotate", 201, key="conf-rotate-01")
    check(client, "POST", "/v1/orders/{order}/refunds", "/v1/orders/%s/refunds" % sale["order_id"], 201,
          {"tickets": [sale["tickets"][1]["code"]], "reason": "cannot come"}, key="conf-refund-01")
    check(client, "GET", "/v1/drawer", "/v1/drawer", 404)
    check(client, "POST", "/v1/drawer/open", "/v1/drawer/open", 201, {"float_minor": 20000}, key="conf-drawer-01")
    check(client, "GET", "/v1/drawer", "/v1/drawer", 200)
    check(client, "POST", "/v1/sales", "/v1/sales", 201,
          {"event": "GALA", "category": "FLOOR", "quantity": 1, "payment": {"method": "cash", "tendered_minor": 5000}}, key="conf-sale-0007")
    check(client, "POST", "/v1/drawer/close", "/v1/drawer/close", 200, {"counted_minor": 24500}, key="conf-drawer-02")
    check(client, "GET", "/v1/reports/shift", "/v1/reports/shift", 200)
    check(client, "GET", "/v1/reports/day", "/v1/reports/day", 200)
    check(client, "GET", "/v1/reports/day", "/v1/reports/day?date=2026-13-40", 422)
    check(client, "GET", "/v1/status", "/v1/status", 200)
    check(client, "GET", "/v1/health", "/v1/health", 200)
    check(anonymous, "GET", "/health", "/health", 200)
    check(anonymous, "GET", "/health/liveness", "/health/liveness", 200)
    check(anonymous, "GET", "/actuator/health/{component}", "/actuator/health/db", 200)
    check(anonymous, "GET", "/actuator/health/{component}", "/actuator/health/nothing", 404)
    check(anonymous, "GET", "/actuator", "/actuator", 200)
    check(client, "POST", "/v1/users/{name}/unlock", "/v1/users/%s/unlock" % name, 200, key="conf-unlock-01")
    check(client, "POST", "/v1/users/{name}/unlock", "/v1/users/nobody/unlock", 404, key="conf-unlock-02")
    check(anonymous, "POST", "/v1/sessions", "/v1/sessions", 401, {"name": name, "password": "wrong-password"})
    check(client, "DELETE", "/v1/sessions/current", "/v1/sessions/current", 204)
    check(client, "GET", "/v1/events", "/v1/events", 401)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("ok %d" % checked[0])


def race(base, token, event, category, seconds, clients):
    results = {"sold": 0, "replayed": 0, "sold_out": 0, "other": {}}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(number):
        client = Client(base, token)
        counter = 0
        while time.monotonic() < stop_at:
            counter += 1
            key = "race-%02d-%07d" % (number, counter)
            body = {"event": event, "category": category, "quantity": 1, "payment": {"method": "cash"}}
            for attempt in range(2 if counter % 10 == 0 else 1):
                try:
                    status, answer, response = client.call("POST", "/v1/sales", body=body, key=key)
                except OSError:  # the server stopped: this client stops too
                    with lock:
                        results["disconnected"] = results.get("disconnected", 0) + 1
                    return
                with lock:
                    if status == 201 and response.getheader("Idempotent-Replayed") == "true":
                        results["replayed"] += 1
                    elif status == 201:
                        results["sold"] += 1
                    elif status == 409 and answer and answer["error"]["code"] == "sold_out":
                        results["sold_out"] += 1
                    else:
                        name = "%d %s" % (status, answer["error"]["code"] if answer and "error" in answer else "")
                        results["other"][name] = results["other"].get(name, 0) + 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(results, sort_keys=True))


def sign_in_flood(base, token, clients, attempts):
    answers, faults = {}, []
    changed = threading.Condition()
    state = {"refused": False, "finished": 0}
    stop = threading.Event()

    def worker(number):
        client = Client(base, source="127.0.0.%d" % (20 + number))
        for attempt in range(attempts):
            if stop.is_set():
                break
            body = {"name": "nobody-%d-%d" % (number, attempt), "password": "guess-%d" % attempt}
            status, answer, response = client.call("POST", "/v1/sessions", body=body)
            code = answer["error"]["code"] if isinstance(answer, dict) and "error" in answer else ""
            with changed:
                name = "%d %s" % (status, code)
                answers[name] = answers.get(name, 0) + 1
                if status in (429, 503):
                    if not code or not response.getheader("Retry-After"):
                        faults.append("%s without Retry-After or the error object: %r" % (name, answer))
                    state["refused"] = True
                    changed.notify_all()
        with changed:
            state["finished"] += 1
            changed.notify_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    with changed:
        changed.wait_for(lambda: state["refused"] or state["finished"] == clients)
    body = {"event": "GALA", "category": "FLOOR", "quantity": 1, "payment": {"method": "cash"}}
    sale, _, _ = Client(base, token).call("POST", "/v1/sales", body=body, key="flood-sale-0001")
    stop.set()
    for thread in threads:
        thread.join()
    print(json.dumps({"sign_ins": answers, "faults": faults, "sale": sale}, sort_keys=True))


def sign_in_burst(base, source, count):
    clients = [Client(base, source=source) for _ in range(count)]
    for client in clients:
        client.connection.connect()
    ready = threading.Barrier(count)
    answers = [None] * count

    def worker(number):
        body = {"name": "guess-%d" % number, "password": "wrong-password"}
        ready.wait()
        status, answer, response = clients[number].call("POST", "/v1/sessions", body=body)
        code = answer["error"]["code"] if isinstance(answer, dict) and "error" in answer else ""
        answers[number] = [status, code, response.getheader("Retry-After") is not None]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(answers))


def fuzz(base, token, count, seed):
    rng = random.Random(seed)
    client = Client(base, token)
    values = [None, True, False, 0, -1, 1.5, 10 ** 30, -(10 ** 30), "", "x" * 5000, "\u0000", "😀", [], {}, [1, 2], {"a": 1}]
    routes = ["/v1/sales", "/v1/holds", "/v1/checkins", "/v1/drawer/open", "/v1/drawer/close", "/v1/holds/hold_X/confirm",
              "/v1/orders/ord_X/refunds"]
    fields = ["event", "category", "quantity", "seats", "payment", "customer", "ttl_seconds", "code", "float_minor",
              "counted_minor", "tickets", "reason", "method", "tendered_minor", "unknown"]

    def hostile():
        choice = rng.randrange(9)
        key = "fuzz-%08d" % rng.randrange(10 ** 8)
        if choice == 0:  # a body of a wrong type, or fields of wrong types (always a shape no write accepts)
            body = {rng.choice(fields): rng.choice(values) for _ in range(rng.randrange(1, 4))}
            body["unknown_field"] = 1
            return "POST", rng.choice(routes), json.dumps(body).encode(), {"Content-Type": "application/json", "Idempotency-Key": key}
        if choice == 1:  # JSON that is not JSON
            return "POST", rng.choice(routes), bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))), {"Content-Type": "application/json", "Idempotency-Key": key}
        if choice == 2:  # huge numbers where a count goes
            body = {"event": "GALA", "category": "FLOOR", "quantity": rng.choice([10 ** 19, 2 ** 63, -(2 ** 63) - 1, 1e308]), "payment": {"method": "cash"}}
            return "POST", "/v1/sales", json.dumps(body).encode(), {"Content-Type": "application/json", "Idempotency-Key": key}
        if choice == 3:  # unknown routes and methods
            path = rng.choice(["/v1/", "/v1/nothing", "/v1/events/GALA/nothing", "/v2/sales", "/v1/sales/x/y", "/v1/%zz", "/v1/orders/%ff%fe"])
            return rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE"]), path, b"", {}
        if choice == 4:  # wrong methods on known routes
            return rng.choice(["PUT", "PATCH", "DELETE"]), rng.choice(["/v1/sales", "/v1/events", "/v1/status"]), b"", {}
        if choice == 5:  # a body that is not JSON by its type
            return "POST", "/v1/sales", b"event=GALA", {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key}
        if choice == 6:  # malformed keys
            return "POST", "/v1/sales", b"{}", {"Content-Type": "application/json", "Idempotency-Key": rng.choice(["short", "x" * 200, "bad key!!"])}
        if choice == 7:  # malformed queries
            return "GET", rng.choice(["/v1/orders?q=%zz", "/v1/events/GALA/seats?available=yes", "/v1/orders?%=1"]), b"", {}
        return "POST", "/v1/sales", b"", {"Idempotency-Key": key}  # no body

    bad = []
    url = urllib.parse.urlsplit(base)
    for index in range(count):
        if index % 2:
            raw_request = hostile_request(rng)
            client_socket = socket.create_connection((url.hostname, url.port), timeout=10)
            try:
                client_socket.sendall(raw_request)
            except OSError:
                pass
            raw = b""
            try:
                while True:
                    data = client_socket.recv(65536)
                    if not data:
                        break
                    raw += data
            except OSError:
                pass
            client_socket.close()
            if not is_error_object_answer(raw):
                bad.append("raw %r -> %r" % (raw_request[:80], raw[:200]))
            continue
        method, path, body, headers = hostile()
        status, answer, _ = client.call(method, path, headers=headers, raw=body)
        ok = 400 <= status < 500 and isinstance(answer, dict) and isinstance(answer.get("error", {}).get("code"), str)
        if not ok:
            bad.append("%s %s %r -> %d %r" % (method, path, body[:80], status, answer))
    if bad:
        print("\n".join(bad[:20]))
        sys.exit(1)
    print("ok %d" % count)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "conformance":
        conformance(*sys.argv[2:6])
    elif command == "race":
        race(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), int(sys.argv[7]))
    elif command == "sign-in-flood":
        sign_in_flood(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif command == "sign-in-burst":
        sign_in_burst(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        fuzz(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
