#!/usr/bin/python3
"""The till and the door pages in headless Chromium (Debian's chromium, chromium-driver and
python3-selenium), against a node the calling test started.

usage: browser-pages.py BASE DATABASE SCREENSHOTS

The node (Tests/NodeAPITests/BrowserTests.swift) sells GALA: STALLS rows A-E (row F is another
node's), BALCONY, and FLOOR (general admission); staff cal (cashier) and sue (supervisor). Two
browsers at once: cal's till and sue's till, which later becomes a door. To stop and start the
node's daemon this script writes `daemon stop` or `daemon start` on stdout and waits for `ok` on
stdin. It writes SCREENSHOTS/till.png and SCREENSHOTS/door.png, prints `ok N` (checks made) and
exits 0, or prints the failure and exits 1. Every wait is on the page (WebDriverWait on the DOM)
or on the database, never on time.
"""
import json
import os
import sqlite3
import sys
import traceback

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

sys.dont_write_bytecode = True  # nothing written into the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_kit import (Keyboard, PASSWORDS, browser, check, click_seats, console_errors, element,  # noqa: E402
                         focused_id, pick_event, quit_all, seat_status, shown, step, text, viewport, wait,
                         wait_receipt)

BASE, DATABASE, SCREENSHOTS = sys.argv[1:4]


def daemon(command):
    """Asks the test to stop or start the node's daemon and waits until it has."""
    print("daemon " + command, flush=True)
    answer = sys.stdin.readline().strip()
    check(answer == "ok", f"daemon {command}: the test answered {answer!r}")


def query(sql, *parameters):
    """Rows from the node database, read through SQLite as any reader does."""
    connection = sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def sign_in(driver, name, path="/till"):
    driver.get(BASE + path)
    wait(driver, lambda: focused_id(driver) == "sign-in-name", "the name field to have the focus")
    keyboard = Keyboard(driver)
    keyboard.type(name)
    keyboard.press(Keys.TAB)
    keyboard.type(PASSWORDS[name])
    keyboard.press(Keys.ENTER)
    wait(driver, lambda: not shown(driver, "#sign-in"), f"{name} to be signed in")


def qr_images_drawn(driver, container):
    """How many tickets in `container` show their QR code: an image on screen, loaded, with a size
    (an image the node did not serve stays hidden)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' .ticket img.qr')]"
        ".filter((image) => !image.hidden && image.complete && image.naturalWidth > 0).length", container)


def orders_of(labels):
    placeholders = ",".join("?" * len(labels))
    return query(f"SELECT DISTINCT order_id FROM ticket WHERE seat_label IN ({placeholders})", *labels)


def no_horizontal_scroll(driver, where):
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if widths[0] > widths[1]:
        wide = driver.execute_script(
            "return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > "
            "document.documentElement.clientWidth + 1).slice(-5).map((e) => e.outerHTML.slice(0, 100))")
        check(False, f"{where}: the page scrolls sideways ({widths[0]} px in {widths[1]} px): {wide}")


def every_control_labelled(driver, where):
    """Every control on screen has a name a screen reader says (Chromium's computed label)."""
    for attempt in range(3):
        try:
            controls = driver.find_elements(
                By.CSS_SELECTOR, "button, input, select, textarea, a[href], [role=checkbox], [role=button]")
            nameless = [control.get_attribute("outerHTML")[:120] for control in controls
                        if control.is_displayed() and not (control.accessible_name or "").strip()]
            break
        except StaleElementReferenceException:
            continue  # a refresh redrew part of the page while it was read: read it again
    check(controls and not nameless, f"{where}: controls without a label: {nameless}")


CONTRAST = """
function channels(text) {
  const parts = text.match(/[\\d.]+/g).map(Number);
  return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
}
function luminance(color) {
  const linear = (value) => { value /= 255; return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b);
}
function over(top, bottom) {
  const a = top.a;
  return { r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a), b: top.b * a + bottom.b * (1 - a), a: 1 };
}
function background(element) {
  const layers = [];
  for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
    if (node instanceof SVGElement) continue;
    const color = channels(getComputedStyle(node).backgroundColor);
    if (color.a > 0) layers.push(color);
    if (color.a === 1) break;
  }
  return layers.reduceRight((bottom, top) => over(top, bottom), { r: 255, g: 255, b: 255, a: 1 });
}
const failures = [];
let checked = 0;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
while (walker.nextNode()) {
  const node = walker.currentNode;
  const element = node.parentElement;
  if (!node.textContent.trim() || seen.has(element) || element.closest('[hidden], .visually-hidden')) continue;
  seen.add(element);
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || element.closest(':disabled')) continue;
  let foreground, back;
  if (element instanceof SVGElement) {
    foreground = channels(style.fill);
    const seat = element.closest('.seat');
    back = seat ? channels(getComputedStyle(seat.querySelector('rect')).fill) : background(element.closest('svg').parentElement);
  } else {
    back = background(element);
    foreground = over(channels(style.color), back);
  }
  const [light, dark] = [luminance(foreground), luminance(back)].sort((x, y) => y - x);
  const ratio = (light + 0.05) / (dark + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  checked += 1;
  if (ratio < (large ? 3 : 4.5)) {
    failures.push(`${element.tagName.toLowerCase()}.${element.getAttribute('class') ?? ''} "${node.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
  }
}
return [checked, failures];
"""


def contrast_meets_aa(driver, where):
    """Every text on screen against its background at WCAG AA: 4.5:1, or 3:1 for large text."""
    checked, failures = driver.execute_script(CONTRAST)
    check(checked > 3 and not failures, f"{where}: text below WCAG AA contrast ({checked} checked): {failures}")


def focus_ring_shows(driver, where):
    style = driver.execute_script(
        "const style = getComputedStyle(document.activeElement);"
        "return [document.activeElement.tagName, style.outlineStyle, parseFloat(style.outlineWidth)]")
    check(style[1] != "none" and style[2] >= 2, f"{where}: the focused {style[0]} shows no focus ring: {style}")


def api_from_page(driver, method, path, body, key):
    """A call made by the page's own session (the token in its sessionStorage), as a script of
    the page could: the node decides, whatever the page shows."""
    return driver.execute_async_script("""
        const [method, path, body, key, done] = arguments;
        const session = JSON.parse(sessionStorage.getItem('venue-node.session'));
        fetch(path, { method, body: JSON.stringify(body), headers: {
            'Authorization': 'Bearer ' + session.token, 'Content-Type': 'application/json', 'Idempotency-Key': key } })
          .then(async (response) => done([response.status, await response.json()]))
          .catch((error) => done([0, String(error)]));
    """, method, path, body, key)


def run():
    step("starting two browsers")
    try:
        till = browser()  # cal, a cashier
        other = browser()  # sue, a supervisor: a second till open at the same time, then a door
        till.get(BASE + "/")
        step("the start page")
        check(shown(till, 'a[href="/till"]') and shown(till, 'a[href="/door"]'), "the start page links the till and the door")
        contrast_meets_aa(till, "start page")

        # Sign in and sell the two best seats with the keyboard alone.
        step("a keyboard-only sale")
        till.get(BASE + "/till")
        wait(till, lambda: shown(till, "#sign-in-name"), "the sign-in form")
        every_control_labelled(till, "sign-in")
        sign_in(till, "cal")
        wait(till, lambda: till.switch_to.active_element.get_attribute("data-event") == "GALA",
             "the first event to have the focus")
        keyboard = Keyboard(till)
        keyboard.press(Keys.ENTER)
        wait(till, lambda: focused_id(till) == "quantity-STALLS", "the focus on the quantity of Stalls")
        keyboard.type("2")
        keyboard.press(Keys.ENTER)
        wait(till, lambda: focused_id(till) == "pay" and "held" in text(till, "#sale-hold"), "two best seats held")
        keyboard.press(Keys.ENTER)
        sale = wait_receipt(till)
        check(keyboard.presses <= 5, f"a sale of two best seats took {keyboard.presses} key presses")
        check(len(sale["codes"]) == 2, f"the keyboard sale has two tickets: {sale}")
        check(query("SELECT count(*) FROM ticket WHERE order_id = ?", sale["order"]) == [(2,)],
              "the keyboard sale is two tickets in the database")
        check(not shown(till, 'input[name=method][value=comp]'), "a cashier is not offered comp")

        # A second till at the same time.
        step("a second till")
        sign_in(other, "sue")
        pick_event(other)
        check(element(other, 'input[name=method][value=comp]').find_element(By.XPATH, "..").get_attribute("hidden") is None,
              "a supervisor is offered comp")

        # Sell two seats by clicking the map, cash tendered and change shown.
        step("a sale by clicking the map")
        element(till, "#new-sale").click()
        click_seats(till, ["STALLS-C-5", "STALLS-C-6"])
        element(till, "#customer-email").send_keys("guest@example.com")
        element(till, "#tendered").send_keys("200")
        wait(till, lambda: text(till, "#change") == "€22.00", "the change for 200.00 tendered on 178.00")
        check(text(till, "#pay") == "Pay €178.00", f"the pay button names the total: {text(till, '#pay')}")
        every_control_labelled(till, "till with a sale")
        contrast_meets_aa(till, "till with a sale")
        no_horizontal_scroll(till, "till at 1024×768")
        element(till, "#pay").click()
        clicked = wait_receipt(till)
        check("€22.00" in clicked["text"] and "guest@example.com" in clicked["text"],
              f"the receipt shows the change and the customer: {clicked['text']}")
        wait(till, lambda: qr_images_drawn(till, "#receipt") == len(clicked["codes"]), "each ticket's QR code drawn")
        check(orders_of(["STALLS-C-5", "STALLS-C-6"]) == [(clicked["order"],)], "the clicked seats are one order")
        element(till, "#print-receipt").click()  # headless Chromium prints nowhere and returns
        till.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        check(shown(till, "#receipt .ticket") and shown(till, "#receipt img.qr") and not shown(till, ".bar")
              and not shown(till, ".seat-map") and not shown(till, "#print-receipt"),
              "the receipt prints alone, with its QR codes")
        till.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

        # The other till sees them sold while it is open.
        step("the other till sees them sold")
        wait(other, lambda: seat_status(other, "STALLS-C-5") == "sold" and seat_status(other, "STALLS-C-6") == "sold",
             "the second till to show C-5 and C-6 sold")
        check(seat_status(other, "STALLS-F-1") == "unallocated", "another node's seats show as such")

        # A double click on Pay sells once: two standing tickets (named seats could not sell twice).
        step("a double click on Pay")
        element(till, "#new-sale").click()
        element(till, "#quantity-FLOOR").send_keys("2" + Keys.ENTER)
        wait(till, lambda: text(till, "#pay") == "Pay €90.00", "two standing tickets in the sale")
        ActionChains(till).double_click(element(till, "#pay")).perform()
        doubled = wait_receipt(till)
        check(query("SELECT DISTINCT order_id FROM ticket WHERE category_code = 'FLOOR'") == [(doubled["order"],)]
              and query("SELECT count(*) FROM ticket WHERE category_code = 'FLOOR'") == [(2,)],
              "a double click made one order of two tickets")
        check(query("SELECT count(*) FROM orders") == [(3,)], "three sales, three orders")

        # A supervisor refunds one ticket of the clicked sale.
        step("a refund by a supervisor")
        element(other, 'nav button[data-view="orders"]').click()
        wait(other, lambda: focused_id(other) == "lookup", "the look-up field")
        Keyboard(other).type(clicked["codes"][0] + Keys.ENTER)
        wait(other, lambda: shown(other, "#refund-form"), "the order with its refund form")
        every_control_labelled(other, "order with refund form")
        contrast_meets_aa(other, "order with refund form")
        element(other, f'#refund-{clicked["codes"][0]}').click()
        element(other, "#refund-reason").send_keys("could not come")
        element(other, "#refund").click()
        wait(other, lambda: "Refunded €89.00" in text(other, "#refund-done"), "the refund to be made")
        check(query("SELECT status FROM ticket WHERE code = ?", clicked["codes"][0]) == [("refunded",)],
              "the refunded ticket is refunded in the database")

        # A cashier is shown no refund, and the node refuses one all the same.
        step("a refund by a cashier")
        element(till, 'nav button[data-view="orders"]').click()
        wait(till, lambda: focused_id(till) == "lookup", "the look-up field")
        Keyboard(till).type(clicked["codes"][1] + Keys.ENTER)
        wait(till, lambda: shown(till, "#order-receipt .order-id"), "the order")
        check(not shown(till, "#refund-form") and shown(till, "#refund-note"), "a cashier is shown no refund form")
        status, answer = api_from_page(till, "POST", f"/v1/orders/{clicked['order']}/refunds",
                                       {"tickets": [clicked["codes"][1]], "reason": "try"}, "till-refund-by-cashier")
        check(status == 403 and answer["error"]["code"] == "not_permitted",
              f"the node refuses a cashier's refund: {status} {answer}")
        check(query("SELECT status FROM ticket WHERE code = ?", clicked["codes"][1]) == [("valid",)],
              "the ticket a cashier tried to refund stays valid")
        element(till, "#lookup").click()
        ActionChains(till).send_keys(Keys.TAB).perform()
        focus_ring_shows(till, "look-up button")

        # A door not set up takes tickets of an event whose doors are open now: GALA's are not
        # (it is in 2030), and the page says so in the node's words.
        step("the door")
        other.get(BASE + "/door")
        wait(other, lambda: focused_id(other) == "code", "the door's code field")
        check(text(other, "#door-where") == "No gate named · Doors open now (any event)",
              f"a door not set up says so: {text(other, '#door-where')!r}")
        scanner = Keyboard(other)
        scanner.type(clicked["codes"][1] + Keys.ENTER)
        wait(other, lambda: "verdict-refused" in element(other, "#verdict").get_attribute("class"), "REFUSED")
        check("its doors are not open now" in text(other, "#verdict-why"),
              f"the node's reason: {text(other, '#verdict-why')!r}")

        # Set up as the front of house would: gate North, admitting to GALA, kept in this browser.
        step("the door's gate and event")
        element(other, "#door-setup-change").click()
        wait(other, lambda: focused_id(other) == "door-gate", "the gate field")
        scanner.type("North")
        wait(other, lambda: other.find_elements(By.CSS_SELECTOR, '#door-event option[value="GALA"]'), "GALA to choose")
        gala = element(other, '#door-event option[value="GALA"]').text
        check("New Year's Gala" in gala and "2030" in gala and "21:00" in gala,
              f"the event is named with its local start time: {gala!r}")
        every_control_labelled(other, "door setup")
        contrast_meets_aa(other, "door setup")
        Select(element(other, "#door-event")).select_by_value("GALA")
        element(other, "#door-gate").send_keys(Keys.ENTER)
        wait(other, lambda: text(other, "#door-where") == "Gate North · GALA" and focused_id(other) == "code",
             "the door set up, the code field focused")
        kept = json.loads(other.execute_script("return localStorage.getItem('venue-node.door')"))
        check(kept == {"gate": "North", "event": "GALA"}, f"the door's setup kept in the browser: {kept}")
        other.refresh()
        wait(other, lambda: focused_id(other) == "code" and "New Year's Gala" in text(other, "#door-where-event"),
             "the door after a reload")
        check(text(other, "#door-where") == "Gate North · GALA", f"the setup survives a reload: {text(other, '#door-where')!r}")

        # The door admits a ticket once, refuses it the second time, and refuses a refunded one.
        scanner.type(clicked["codes"][1] + Keys.ENTER)
        wait(other, lambda: "verdict-admitted" in element(other, "#verdict").get_attribute("class"), "ADMITTED")
        check(query("SELECT gate, event_id FROM door_admission WHERE ticket_code = ?", clicked["codes"][1])
              == [("North", "GALA")], "the admission recorded at gate North for GALA")
        check(text(other, "#verdict-word") == "ADMITTED", f"the verdict reads {text(other, '#verdict-word')!r}")
        check(float(element(other, "#verdict-word").value_of_css_property("font-size").rstrip("px")) >= 48,
              "the verdict is readable at arm's length")
        check(focused_id(other) == "code", "the code field keeps the focus for the next scan")
        every_control_labelled(other, "door")
        contrast_meets_aa(other, "door, admitted")
        other.save_screenshot(os.path.join(SCREENSHOTS, "door.png"))
        scanner.type(clicked["codes"][1] + Keys.ENTER)
        wait(other, lambda: "verdict-refused" in element(other, "#verdict").get_attribute("class"), "REFUSED")
        why = text(other, "#verdict-why")
        check("already checked in" in why and "gate North" in why, f"why: {why}")
        contrast_meets_aa(other, "door, refused")
        scanner.type(clicked["codes"][0] + Keys.ENTER)
        wait(other, lambda: "refunded" in text(other, "#verdict-why"), "the refunded ticket refused")
        check(query("SELECT count(*) FROM ticket WHERE status = 'checked_in'") == [(1,)], "one ticket checked in")
        viewport(other, 390, 844, mobile=True)
        no_horizontal_scroll(other, "door on a phone")

        # The node goes down while a sale is paid: the page says so; the retry sells once.
        step("the node down mid-sale")
        element(till, 'nav button[data-view="sell"]').click()
        element(till, "#new-sale").click()
        click_seats(till, ["STALLS-E-7", "STALLS-E-8"])
        element(till, "#customer-email").send_keys("ada@example.com")
        element(till, "#tendered").send_keys("180")
        wait(till, lambda: text(till, "#change") == "€2.00", "the change")
        till.save_screenshot(os.path.join(SCREENSHOTS, "till.png"))
        daemon("stop")
        element(till, "#pay").click()
        wait(till, lambda: "does not answer" in text(till, "#sale-error"), "the page to say the node does not answer")
        wait(till, lambda: "does not answer" in text(till, "#connection"), "the connection line")
        key = element(till, "#pay-form").get_attribute("data-idempotency-key")
        check(key and query("SELECT count(*) FROM orders WHERE idempotency_key = ?", key) == [(0,)],
              f"nothing sold while the node was down (attempt {key})")
        daemon("start")
        element(till, "#pay").click()
        retried = wait_receipt(till)
        check(query("SELECT id FROM orders WHERE idempotency_key = ?", key) == [(retried["order"],)],
              "the retry sold under the attempt's key")
        check(orders_of(["STALLS-E-7", "STALLS-E-8"]) == [(retried["order"],)], "the retry sold once")
        wait(till, lambda: not shown(till, "#connection.down"), "the connection line to clear")

        # Standing tickets by card, with the terminal's reference.
        step("a card sale")
        element(till, "#new-sale").click()
        element(till, "#quantity-FLOOR").send_keys("3" + Keys.ENTER)
        wait(till, lambda: text(till, "#pay") == "Pay €135.00", "three standing tickets in the sale")
        element(till, 'input[name=method][value=card]').click()
        wait(till, lambda: shown(till, "#card-reference") and not shown(till, "#tendered"), "the card's fields")
        element(till, "#card-reference").send_keys("T-4711")
        element(till, "#pay").click()
        card = wait_receipt(till)
        check("T-4711" in card["text"] and len(card["codes"]) == 3, f"the card receipt: {card['text']}")
        check(query("SELECT method, reference, amount_minor FROM payment WHERE order_id = ?", card["order"])
              == [("card", "T-4711", 13500)], "the card payment in the database")

        # The drawer and the shift report.
        step("the drawer")
        element(till, 'nav button[data-view="drawer"]').click()
        wait(till, lambda: shown(till, "#drawer-open-form"), "the drawer's open form")
        element(till, "#drawer-float").send_keys("100" + Keys.ENTER)
        wait(till, lambda: shown(till, "#drawer-close-form"), "the drawer open")
        element(till, "#shift-report").click()
        wait(till, lambda: "Net" in text(till, "#report"), "the shift report")
        element(till, "#drawer-counted").send_keys("99.50" + Keys.ENTER)
        wait(till, lambda: "Over (+) or short (−)" in text(till, "#drawer-state"), "the drawer closed")
        check("-€0.50" in text(till, "#drawer-state") or "−€0.50" in text(till, "#drawer-state"),
              f"the drawer is short by 0.50: {text(till, '#drawer-state')}")
        every_control_labelled(till, "drawer")
        contrast_meets_aa(till, "drawer")

        # Every view fits a 1024×768 screen and a phone held upright.
        step("the layouts")
        for width, height, mobile in [(1024, 768, False), (390, 844, True)]:
            viewport(till, width, height, mobile)
            for view in ["sell", "orders", "drawer"]:
                element(till, f'nav button[data-view="{view}"]').click()
                no_horizontal_scroll(till, f"till's {view} view at {width}×{height}")

        errors = console_errors(till) + console_errors(other)
        check(not errors, f"the browser reported errors: {errors}")
    finally:
        quit_all()


try:
    run()
except Exception:
    traceback.print_exc()
    print("failed after %d checks" % check.count, flush=True)
    sys.exit(1)
print("ok %d" % check.count, flush=True)
