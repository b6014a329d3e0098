#!/usr/bin/python3
"""The door page (/door) in headless Chromium (Debian's chromium, chromium-driver and
python3-selenium), scanning codes as a keyboard-wedge scanner types them.

usage: door-scans.py BASE NAME PASSWORD GATE EVENT CODE...

Signs NAME in at BASE/door, sets the door up for GATE and EVENT (as its setup form keeps them, in
the browser), types each CODE and Enter, waits for the page's answer to it (its line in the last
scans), and prints one JSON object a scan: the verdict's word, why and detail, and the newest
line of the last scans. Every wait is on the page, never on time.
"""
import json
import shutil
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BASE, NAME, PASSWORD, GATE, EVENT = sys.argv[1:6]
CODES = sys.argv[6:]


def wait(driver, condition, what):
    return WebDriverWait(driver, 60, poll_frequency=0.1,
                         ignored_exceptions=[NoSuchElementException, StaleElementReferenceException]).until(
        lambda _: condition(), f"waited 60 s for {what}")


def text(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def main():
    profile = tempfile.mkdtemp(prefix="venue-door-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--user-data-dir=" + profile, "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-GB"})
        driver.get(BASE + "/door")
        focused = lambda: driver.switch_to.active_element.get_attribute("id")
        wait(driver, lambda: focused() == "sign-in-name", "the sign-in form")
        ActionChains(driver).send_keys(NAME + Keys.TAB + PASSWORD + Keys.ENTER).perform()
        wait(driver, lambda: focused() == "code", "the code field")
        driver.execute_script("localStorage.setItem('venue-node.door', arguments[0])",
                              json.dumps({"gate": GATE, "event": EVENT}))
        for index, code in enumerate(CODES):
            ActionChains(driver).send_keys(code + Keys.ENTER).perform()
            wait(driver, lambda: len(driver.find_elements(By.CSS_SELECTOR, "#history li")) == min(index + 1, 5),
                 f"the answer to scan {index + 1}")
            print(json.dumps({
                "word": text(driver, "#verdict-word"), "why": text(driver, "#verdict-why"),
                "detail": text(driver, "#verdict-detail"), "history": text(driver, "#history li"),
            }), flush=True)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
