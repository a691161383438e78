"""The duplicate review page (`/duplicates`) in headless Chromium: groups of the fixture families, decisions that
survive a reload and a restart, apply and undo through the quarantine, the plan offered without
--allow-file-changes, keyboard-only review. Run with test_pages.py (scripts/test-browser.sh).
"""

import hashlib
import json
import os
import shutil
import subprocess
import unittest

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from test_pages import BINARY, SCREENSHOTS, Server, browser, library, screenshot

THRESHOLD = "0.9999"  # where the random test model finds the 7 families exactly (README)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class ReviewTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        library(cls)
        cls.hashes = {os.path.join(root, f): sha256(os.path.join(root, f))
                      for root, _, files in os.walk(cls.photos) for f in files}
        cls.driver = browser()
        cls.server = None

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        if cls.server:
            cls.server.stop()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def serve(self, *extra):
        if self.server:
            self.server.stop()
        type(self).server = Server(self.store, extra=extra)

    def open(self, path):
        self.driver.get(self.server.url + path)
        WebDriverWait(self.driver, 60).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))

    def all(self, testid, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f"[data-testid={testid}]")

    def groups(self):
        return WebDriverWait(self.driver, 120, poll_frequency=0.1,
                             ignored_exceptions=[StaleElementReferenceException]).until(lambda d: self.all("group") or None)

    def decisions(self):
        return {m.get_attribute("data-key"): m.get_attribute("data-decision") for m in self.all("member")}

    def wait_for(self, condition):
        # The page redraws itself after an apply or undo: an element read a moment ago may be gone.
        return WebDriverWait(self.driver, 60, poll_frequency=0.1,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition)

    def test_1_groups_decisions_apply_and_undo(self):
        self.serve("--allow-file-changes")
        self.open(f"/duplicates?threshold={THRESHOLD}")
        groups = self.groups()
        self.assertEqual(len(groups), 7)
        for group in groups:
            members = self.all("member", group)
            self.assertEqual(len(members), 4)
            self.assertEqual([m.get_attribute("data-decision") for m in members], ["keep", "trash", "trash", "trash"])
            self.assertTrue(members[0].get_attribute("data-key").startswith(os.path.join(self.photos, "")))
            self.assertNotIn("curation", members[0].get_attribute("data-key"))  # the full-size original: most pixels
        self.assertIn("21 would go", self.all("review-summary")[0].text)
        self.assertTrue(groups[0].find_elements(By.CSS_SELECTOR, ".field.differs"))  # sizes differ within a family
        screenshot(self.driver, "duplicates")

        # Keep one more image of the first group: survives a reload and a restart.
        spared = self.all("member", groups[0])[1]
        spared_key = spared.get_attribute("data-key")
        button = self.all("decision", spared)[0]
        self.assertEqual(button.get_attribute("aria-pressed"), "true")
        button.click()
        self.wait_for(lambda d: spared.get_attribute("data-decision") == "keep")
        self.assertEqual(button.get_attribute("aria-pressed"), "false")
        self.assertIn("20 would go", self.all("review-summary")[0].text)
        self.driver.refresh()
        self.groups()
        self.assertEqual(self.decisions()[spared_key], "keep")
        self.serve("--allow-file-changes")
        self.open(f"/duplicates?threshold={THRESHOLD}")
        self.groups()
        decided = self.decisions()
        self.assertEqual(decided[spared_key], "keep")
        trashed = sorted(k for k, d in decided.items() if d == "trash")
        self.assertEqual(len(trashed), 20)

        # Apply: exactly the trashed files move, the store forgets them; undo puts them back byte for byte.
        self.all("apply")[0].click()
        self.wait_for(lambda d: "Moved 20" in self.all("apply-result")[0].text)
        for key in trashed:
            self.assertFalse(os.path.exists(key), key)
        quarantine = os.path.join(self.store, "quarantine", "photos")
        for key in trashed:
            moved = os.path.join(quarantine, os.path.relpath(key, self.photos))
            self.assertEqual(sha256(moved), self.hashes[key])
        for key in self.hashes:
            if key not in trashed:
                self.assertTrue(os.path.exists(key), key)
        stats = json.loads(subprocess.run([BINARY, "stats", "--store", self.store, "--json"],
                                          capture_output=True, text=True, check=True).stdout)
        self.assertEqual(stats["images"], len(self.hashes) - 20)
        self.all("undo")[0].click()
        self.wait_for(lambda d: "Restored 20" in self.all("apply-result")[0].text)
        for key, digest in self.hashes.items():
            self.assertEqual(sha256(key), digest, key)
        self.groups()
        self.assertEqual(len(self.all("member")), 28)

    def test_2_without_file_changes_apply_offers_the_plan(self):
        self.serve()
        self.open(f"/duplicates?threshold={THRESHOLD}")
        self.groups()
        self.all("apply")[0].click()
        plan = self.wait_for(lambda d: self.all("plan")[0] if self.all("plan")[0].is_displayed() else None)
        self.assertIn("--allow-file-changes", self.all("no-file-changes", plan)[0].text)
        self.assertEqual(self.all("plan-sh", plan)[0].tag_name, "button")
        for key, digest in self.hashes.items():
            self.assertEqual(sha256(key), digest, key)
        script = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/v1/duplicates/plan?threshold=0.9999&format=sh').then((r) => r.text()).then(done);""")
        self.assertTrue(script.startswith("#!/bin/sh"))
        trashed = [k for k, d in self.decisions().items() if d == "trash"]
        self.assertEqual(script.count("\nmv -n -- "), len(trashed))
        for key in trashed:
            self.assertIn(f"mv -n -- '{key}' ", script)

    def test_3_keyboard_only_review(self):
        self.serve()
        self.open(f"/duplicates?threshold={THRESHOLD}")
        groups = self.groups()
        actions = ActionChains(self.driver)
        self.driver.execute_script("document.activeElement.blur()")
        actions.send_keys("j").perform()  # the first group
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("data-testid"), "group")
        actions.send_keys("j").perform()  # the second
        second = self.driver.switch_to.active_element
        self.assertEqual(second.get_attribute("data-group"), groups[1].get_attribute("data-group"))
        actions.send_keys(Keys.ARROW_RIGHT).perform()  # its first image, kept by the rule
        actions.send_keys(Keys.ARROW_RIGHT).perform()  # its second
        member = self.all("member", groups[1])[1]
        self.assertEqual(member.get_attribute("data-decision"), "trash")
        actions.send_keys("u").perform()
        self.wait_for(lambda d: member.get_attribute("data-decision") == "keep")
        actions.send_keys("t").perform()
        self.wait_for(lambda d: member.get_attribute("data-decision") == "trash")
        actions.send_keys("?").perform()
        self.assertTrue(self.all("keys-help")[0].get_attribute("open") is not None)

    def test_4_the_comparator_draws_the_difference_map(self):
        self.serve()
        self.open(f"/duplicates?threshold={THRESHOLD}")
        groups = self.groups()
        self.all("compare", groups[0])[0].click()
        comparator = self.all("comparator")[0]
        self.wait_for(lambda d: comparator.get_attribute("open") is not None)
        self.wait_for(lambda d: len(comparator.find_elements(By.CSS_SELECTOR, ".pane img")) == 2)
        self.all("swap", comparator)[0].click()
        self.all("mode-swipe", comparator)[0].click()
        self.assertEqual(len(self.all("swipe", comparator)), 1)
        self.all("mode-difference", comparator)[0].click()
        difference = self.wait_for(lambda d: self.all("difference-map", comparator) or None)[0]
        self.wait_for(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", difference))
        self.assertIn("mean", comparator.text)
        # Keys of the review are off while it is open; Escape closes it.
        decisions = self.decisions()
        ActionChains(self.driver).send_keys("t").perform()
        self.assertEqual(self.decisions(), decisions)
        ActionChains(self.driver).send_keys(Keys.ESCAPE).perform()
        self.wait_for(lambda d: comparator.get_attribute("open") is None)
        if SCREENSHOTS:
            self.all("compare", groups[0])[0].click()
            self.all("mode-difference", comparator)[0].click()
            self.wait_for(lambda d: self.all("difference-map", comparator) or None)
            screenshot(self.driver, "compare")


if __name__ == "__main__":
    unittest.main()
