"""What the browser tests share: headless Chromium (Debian's chromium, chromium-driver and
python3-selenium), waits on the page, the node's database read through SQLite, its API called
directly, and a LAN between the browser and the node that loses or holds answers on purpose.

Every wait is on the page (WebDriverWait on the DOM), on the database or on an event of the LAN,
never on time: the timeouts are safety nets.
"""
import http.client
import json
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PASSWORDS = {"cal": "cal-password", "sue": "sue-password", "root": "root-password"}
PROFILES = []  # each browser's profile folder, removed by quit_all
DRIVERS = []
STARTED = time.monotonic()


def step(name):
    """Names the step on stderr, for whoever reads a failure."""
    print(f"{time.monotonic() - STARTED:6.1f} s  {name}", file=sys.stderr, flush=True)


class Checks:
    """Counts the checks made; a failed one raises with its message."""

    def __init__(self):
        self.count = 0

    def __call__(self, condition, message):
        if not condition:
            raise AssertionError(message)
        self.count += 1


check = Checks()


def browser(width=1024, height=768, mobile=False):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # Root in a container needs --no-sandbox; the profile is a folder of its own for each run.
    PROFILES.append(tempfile.mkdtemp(prefix="venue-browser-"))
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--user-data-dir=" + PROFILES[-1],
                     "--no-first-run", "--disable-extensions", "--autoplay-policy=no-user-gesture-required"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A page that asks before it is left (an unanswered sale) shows its dialog to the test.
    options.set_capability("unhandledPromptBehavior", "ignore")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    DRIVERS.append(driver)
    driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-GB"})
    viewport(driver, width, height, mobile)
    return driver


def quit_all():
    for driver in DRIVERS:
        try:
            driver.quit()
        except Exception:
            pass
    for profile in PROFILES:
        shutil.rmtree(profile, ignore_errors=True)


def viewport(driver, width, height, mobile=False):
    """The page's viewport, exactly (the window's size would include what a browser draws around it)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def wait(driver, condition, what, timeout=60):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=[NoSuchElementException, StaleElementReferenceException]).until(
            lambda _: condition())
    except TimeoutException:
        raise AssertionError(f"waited {timeout} s for {what}") from None


def element(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def shown(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return bool(found) and found[0].is_displayed()


def text(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def focused_id(driver):
    return driver.switch_to.active_element.get_attribute("id")


class Keyboard:
    """Keys sent to whatever has the focus, counted."""

    def __init__(self, driver):
        self.driver = driver
        self.presses = 0

    def press(self, *keys):
        for key in keys:
            ActionChains(self.driver).send_keys(key).perform()
            self.presses += 1

    def type(self, text):
        ActionChains(self.driver).send_keys(text).perform()
        self.presses += len(text)


def console_errors(driver):
    """What the browser reported that is a defect of the pages: a script error or a policy
    violation (failed requests the tests cause on purpose are the network's)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["source"] in ("javascript", "security")
            or "Content Security Policy" in entry["message"] or "TrustedHTML" in entry["message"]]


class Node:
    """The node under test: its address, its database (read only) and its API."""

    def __init__(self, base, database):
        self.base = base
        self.database = database
        self.tokens = {}

    def query(self, sql, *parameters):
        """Rows from the node database, read through SQLite as any reader does."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.close()

    def api(self, method, path, body=None, name="sue", key=None):
        """A call to the API as `name`: the status and the JSON answer."""
        if name not in self.tokens:
            status, answer = self.call("POST", "/v1/sessions", {"name": name, "password": PASSWORDS[name]})
            check(status == 201, f"sign-in of {name}: {status} {answer}")
            self.tokens[name] = answer["token"]
        return self.call(method, path, body, token=self.tokens[name], key=key)

    def call(self, method, path, body=None, token=None, key=None):
        url = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if key:
            headers["Idempotency-Key"] = key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
        finally:
            connection.close()

    def sell(self, category, quantity=None, seats=None, name="sue", key=None):
        """A cash sale made through the API: its receipt."""
        body = {"event": "GALA", "category": category, "payment": {"method": "cash"}}
        if seats:
            body["seats"] = seats
        else:
            body["quantity"] = quantity
        key = key or f"kit-sale-{time.monotonic_ns()}"
        status, receipt = self.api("POST", "/v1/sales", body, name=name, key=key)
        check(status == 201, f"the sale through the API: {status} {receipt}")
        return receipt


def sign_in(driver, base, name, path="/till"):
    driver.get(base + path)
    wait(driver, lambda: focused_id(driver) == "sign-in-name", "the name field to have the focus")
    element(driver, "#sign-in-name").clear()
    keyboard = Keyboard(driver)
    keyboard.type(name)
    keyboard.press("\t")
    keyboard.type(PASSWORDS[name] + "\n")
    wait(driver, lambda: not shown(driver, "#sign-in"), f"{name} to be signed in")


class Gate:
    """An answer held by the LAN: `arrived` is set once the node has answered the request, and
    the answer goes on to the browser when the test calls `release`."""

    def __init__(self, pattern):
        self.pattern = pattern
        self.arrived = threading.Event()
        self.released = threading.Event()

    def wait_arrived(self, what, timeout=60):
        if not self.arrived.wait(timeout):
            raise AssertionError(f"waited {timeout} s for {what} to reach the node")

    def release(self):
        self.released.set()


class LossyLAN:
    """The venue's LAN between the browser and the node, made to fail on purpose: an HTTP proxy
    on a port of its own that forwards each request to the node. For a request a rule matches
    (a substring of `METHOD PATH BODY`), it can lose the answer after the node gave it (the
    connection closes without a word: the node decided, the browser never learns), hold the
    answer until the test lets it through, or refuse it unforwarded (the node unreachable).
    Every request it forwards is kept, with its idempotency key, for the test to count."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.lock = threading.Lock()
        self.losing = []  # patterns whose answers are lost
        self.gates = []  # answers held until released
        self.unreachable = None  # a pattern: matching requests are refused unforwarded
        self.forwarded = []  # (method, path, key, body) of each request the node got
        lan = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *arguments):
                pass

            def relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                line = f"{self.command} {self.path} {body.decode('utf-8', 'replace')}"
                with lan.lock:
                    unreachable = lan.unreachable is not None and lan.unreachable in line
                    lose = any(pattern in line for pattern in lan.losing)
                    gate = next((gate for gate in lan.gates if gate.pattern in line and not gate.arrived.is_set()), None)
                if unreachable:
                    self.close_connection = True
                    return
                upstream = http.client.HTTPConnection(lan.upstream.hostname, lan.upstream.port, timeout=120)
                headers = {name: value for name, value in self.headers.items()
                           if name.lower() not in ("connection", "keep-alive", "host")}
                upstream.request(self.command, self.path, body=body if length else None, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                upstream.close()
                with lan.lock:
                    lan.forwarded.append((self.command, self.path, self.headers.get("Idempotency-Key"),
                                          body.decode("utf-8", "replace")))
                if gate:
                    gate.arrived.set()
                    gate.released.wait(120)
                if lose:
                    self.close_connection = True
                    return
                self.send_response_only(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def relay_quietly(self):
                try:
                    self.relay()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the browser went away (a reload): nothing to answer

            do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = relay_quietly

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def lose(self, pattern):
        """From now on, the answers to requests matching `pattern` are lost."""
        with self.lock:
            self.losing.append(pattern)

    def hold(self, pattern):
        """The next answer to a request matching `pattern` waits for the gate's release."""
        gate = Gate(pattern)
        with self.lock:
            self.gates.append(gate)
        return gate

    def down(self, pattern=""):
        """From now on, requests matching `pattern` (every one by default) are refused unforwarded."""
        with self.lock:
            self.unreachable = pattern

    def heal(self):
        """Every answer gets through again (held ones are let go)."""
        with self.lock:
            self.losing.clear()
            self.unreachable = None
            gates, self.gates = self.gates, []
        for gate in gates:
            gate.release()

    def keys(self, pattern):
        """The distinct idempotency keys of the requests matching `pattern` the node got."""
        with self.lock:
            return sorted({key for method, path, key, body in self.forwarded
                           if pattern in f"{method} {path} {body}" and key})


def pick_event(driver, event="GALA"):
    wait(driver, lambda: shown(driver, f'button.event[data-event="{event}"]'), "the events")
    # Clicked again if the list was drawn anew between finding the button and clicking it.
    wait(driver, lambda: element(driver, f'button.event[data-event="{event}"]').click() or True, "the event clicked")
    wait(driver, lambda: shown(driver, ".seat-map [data-label]") and shown(driver, "#categories input.quantity"),
         "the seat map")


def seat_status(driver, label):
    found = driver.find_elements(By.CSS_SELECTOR, f'.seat-map [data-label="{label}"]')
    return found[0].get_attribute("data-status") if found else None


def click_seats(driver, labels):
    for label in labels:
        element(driver, f'.seat-map [data-label="{label}"]').click()
        wait(driver, lambda: seat_status(driver, label) == "chosen", f"{label} to be in the sale")


def wait_receipt(driver):
    wait(driver, lambda: shown(driver, "#receipt-panel") and shown(driver, "#receipt .order-id"), "the receipt")
    return {
        "order": text(driver, "#receipt .order-id"),
        "codes": [code.text for code in driver.find_elements(By.CSS_SELECTOR, "#receipt .ticket .code")],
        "text": text(driver, "#receipt"),
        "title": text(driver, "#receipt-title"),
    }
