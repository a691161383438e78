"""The web interface of `dinosearch serve` in a real headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium), against a built binary serving a store of the example photos and the curation fixtures,
embedded with the small random fixture model.

    DINOSEARCH_BIN=.build/debug/dinosearch python -m unittest discover -s Tests/Browser -p 'test_*.py'

DINOSEARCH_SCREENSHOTS=DIR also writes a screenshot of each page there (the README's, from examples/web/).
"""

import http.client
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from urllib.parse import quote, urlparse

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.path.abspath(os.environ.get("DINOSEARCH_BIN", os.path.join(ROOT, ".build/debug/dinosearch")))
MODEL = os.path.join(ROOT, "Tests/DinoModelTests/Fixtures/plain/model.safetensors")
PHOTOS = os.path.join(ROOT, "examples/photos")
CURATION = os.path.join(ROOT, "Tests/DinoSearchTests/Fixtures/curation")
SCREENSHOTS = os.environ.get("DINOSEARCH_SCREENSHOTS")
ASSET_BUDGET = 150_000  # bytes of HTML, CSS and JavaScript a page loads, uncompressed
MAX_UPLOAD = 3_000_000


def run(*args, env=None):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


class Server:
    """`dinosearch serve --port 0` on a store; its address from the --json line."""

    def __init__(self, store, env=None, extra=()):
        self.log = open(store + ".serve.log", "a+")  # a pipe nobody reads could fill and stall the server
        self.process = subprocess.Popen(
            [BINARY, "serve", "--store", store, "--model", MODEL, "--port", "0", "--json", "--max-upload", str(MAX_UPLOAD),
             *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.process.stdout.readline()
        if not line:
            self.log.seek(0)
            raise AssertionError("serve did not start: " + self.log.read()[-3000:])
        self.url = json.loads(line)["url"]
        self.port = json.loads(line)["port"]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.log.close()


def screenshot(driver, name):
    """With DINOSEARCH_SCREENSHOTS set, the page as the README shows it: a PNG of 256 colours (a quarter the size)."""
    if not SCREENSHOTS:
        return
    from PIL import Image  # in the examples' environment (requirements.txt)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    picture = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        os.path.join(SCREENSHOTS, name + ".png"), optimize=True)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def library(tests, curation=True):
    """Gives a test class a scratch folder (`scratch`) holding a copy of the example photos (`photos`; with the
    curation fixtures below `photos/curation`) indexed into a store (`store`) with the fixture model."""
    if not os.access(BINARY, os.X_OK):
        raise unittest.SkipTest(f"no dinosearch binary at {BINARY} (build it, or set DINOSEARCH_BIN)")
    tests.scratch = tempfile.mkdtemp(prefix="dinosearch-browser-")
    tests.photos = os.path.join(tests.scratch, "photos")
    shutil.copytree(PHOTOS, tests.photos, ignore=shutil.ignore_patterns("*.md"))
    if curation:
        shutil.copytree(CURATION, os.path.join(tests.photos, "curation"))
    tests.store = os.path.join(tests.scratch, "store")
    run(BINARY, "index", "--store", tests.store, "--model", MODEL, tests.photos)


class PageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        library(cls)
        cls.count = len([f for _, _, files in os.walk(cls.photos) for f in files])
        # A photo that will be deleted once indexed: its thumbnail must become a placeholder, not a broken image.
        cls.doomed = os.path.join(cls.photos, "curation", "Aqua-q30.jpg")
        cls.server = Server(cls.store)
        os.remove(cls.doomed)
        cls.driver = browser()
        cls.driver.set_script_timeout(60)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    # ---------- helpers ----------

    def open(self, path):
        self.driver.get(self.server.url + path)
        self.wait(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))

    def wait(self, condition, timeout=60, message=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(condition, message)

    def all(self, testid):
        return self.driver.find_elements(By.CSS_SELECTOR, f"[data-testid={testid}]")

    def results(self):
        return self.wait(lambda d: self.all("result") or None, message="no results")

    def path(self, name):
        return os.path.join(self.photos, name)

    def thumbnails_in_view_loaded(self):
        return self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const inView = [...document.querySelectorAll('main img')].filter((img) => {
              const r = img.getBoundingClientRect();
              return r.bottom > 0 && r.top < innerHeight && r.width > 0;
            });
            Promise.all(inView.map((img) => img.decode().catch(() => null)))
              .then(() => done(inView.map((img) => [img.alt, img.naturalWidth])));
        """)

    def screenshot(self, name):
        screenshot(self.driver, name)

    def axe(self):
        axe = Axe(self.driver)
        axe.inject()
        found = axe.run()["violations"]
        return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in found if v["impact"] in ("serious", "critical")]

    # ---------- the pages ----------

    def test_dropping_a_photo_lists_it_first_and_thumbnails_load(self):
        self.open("/")
        self.assertEqual(self.all("store-count")[0].text, f"{self.count} images")
        self.all("query-file")[0].send_keys(self.path("LadyBird.jpg"))
        first = self.results()[0]
        self.assertEqual(first.get_attribute("data-key"), self.path("LadyBird.jpg"))
        self.assertAlmostEqual(float(first.get_attribute("data-score")), 1.0, places=3)
        self.assertIn("ms", self.all("took")[0].text)
        self.assertNotIn("key=", self.driver.current_url)  # a dropped file is not in the address
        loaded = self.thumbnails_in_view_loaded()
        self.assertGreater(len(loaded), 0)
        self.assertEqual([name for name, width in loaded if width == 0], [], "thumbnails that did not load")
        self.screenshot("search")

    def test_search_similar_changes_the_address_and_back_restores(self):
        start = self.path("Garden.jpg")
        self.open("/?key=" + quote(start, safe="") + "&k=6")
        results = self.results()
        self.assertEqual(results[0].get_attribute("data-key"), start)
        second = results[1].get_attribute("data-key")
        results[1].find_element(By.CSS_SELECTOR, "[data-testid=search-similar]").click()
        self.wait(lambda d: self.all("result") and self.all("result")[0].get_attribute("data-key") == second)
        self.assertIn("key=" + quote(second, safe=""), self.driver.current_url)
        self.assertIn("k=6", self.driver.current_url)
        self.assertEqual(len(self.all("result")), 6)
        self.driver.back()
        self.wait(lambda d: self.all("result") and self.all("result")[0].get_attribute("data-key") == start)
        self.driver.forward()
        self.wait(lambda d: self.all("result") and self.all("result")[0].get_attribute("data-key") == second)

    def test_clusters_add_up_to_the_store_and_open(self):
        self.open("/clusters?clusters=4&seed=3")
        cards = self.wait(lambda d: self.all("cluster") or None, message="no cluster cards")
        self.assertEqual(len(cards), 4)
        sizes = [int(c.get_attribute("data-size")) for c in cards]
        self.assertEqual(sum(sizes), self.count)
        self.assertEqual(sizes, sorted(sizes, reverse=True))
        cards[0].find_element(By.CSS_SELECTOR, "[data-testid=open-cluster]").click()
        members = self.wait(lambda d: self.all("member") or None)
        self.assertEqual(len(members), min(sizes[0], 60))
        self.assertTrue(all(m.get_attribute("data-key").startswith(self.photos) for m in members))
        self.screenshot("clusters")

    def test_maps_page_renders_a_png(self):
        self.open("/maps?key=" + quote(self.path("LadyBird.jpg"), safe=""))
        map_image = self.wait(lambda d: self.all("pca-map") or None)[0]
        self.wait(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", map_image))
        self.assertEqual(map_image.tag_name, "img")
        width = self.driver.execute_script("return arguments[0].naturalWidth", map_image)
        self.assertEqual(width % 14, 0)  # drawn at the model's input size: whole patches
        self.assertTrue(self.all("download-png")[0].get_attribute("href").startswith("blob:"))
        pictures = self.wait(lambda d: d.execute_script(
            "const i = [...document.querySelectorAll('main figure img')]; return i.length === 4 && i.every((x) => x.complete && x.naturalWidth > 0)"))
        self.assertTrue(pictures)  # the photo (twice: beside the map and under it) and the map (twice)
        overlay = self.driver.find_element(By.CSS_SELECTOR, "img.over")
        self.assertEqual(self.driver.execute_script("return getComputedStyle(arguments[0]).opacity", overlay), "0.6")
        slider = self.all("opacity")[0]
        for _ in range(3):
            slider.send_keys(Keys.ARROW_LEFT)
        self.assertEqual(self.driver.execute_script("return getComputedStyle(arguments[0]).opacity", overlay), "0.57")
        self.screenshot("maps")

    def test_stats_page_shows_the_count(self):
        self.open("/stats")
        images = self.wait(lambda d: self.all("stat-images") or None)[0]
        self.assertEqual(images.text, str(self.count))
        self.screenshot("stats")

    def test_an_undecodable_file_and_one_over_the_limit_show_the_servers_message(self):
        text = os.path.join(self.scratch, "notes.jpg")
        with open(text, "w") as f:
            f.write("this is not a photo\n" * 10)
        self.open("/")
        self.all("query-file")[0].send_keys(text)
        error = self.wait(lambda d: self.all("error") or None)[0]
        self.assertIn("not an image", error.text)
        large = os.path.join(self.scratch, "large.jpg")
        with open(large, "wb") as f:
            f.write(b"\xff\xd8\xff" + os.urandom(MAX_UPLOAD + 10))
        self.open("/")
        self.all("query-file")[0].send_keys(large)
        error = self.wait(lambda d: self.all("error") or None)[0]
        self.assertIn(str(MAX_UPLOAD), error.text)

    def test_a_deleted_file_shows_the_placeholder(self):
        self.open("/?key=" + quote(self.doomed, safe="") + "&k=3")
        self.assertEqual(self.results()[0].get_attribute("data-key"), self.doomed)
        placeholder = self.wait(lambda d: self.all("thumb-missing") or None)[0]
        self.assertIn("no longer there", placeholder.get_attribute("title"))
        self.assertEqual(placeholder.text, "File missing or changed")

    def test_foreign_host_and_cross_origin_writes_are_refused(self):
        address = urlparse(self.server.url)
        def status(method, path, headers):
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
            connection.putrequest(method, path, skip_host=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            return connection.getresponse().status
        own = f"127.0.0.1:{self.server.port}"
        self.assertEqual(status("GET", "/v1/stats", {"Host": own}), 200)
        self.assertEqual(status("GET", "/", {"Host": f"localhost:{self.server.port}"}), 200)
        self.assertEqual(status("GET", "/v1/stats", {"Host": f"attacker.example:{self.server.port}"}), 403)
        self.assertEqual(status("GET", "/", {"Host": "attacker.example"}), 403)
        body = {"Host": own, "Content-Type": "application/json", "Content-Length": "0"}
        self.assertEqual(status("DELETE", "/v1/images/x", dict(body, Origin="http://attacker.example")), 403)
        self.assertEqual(status("POST", "/v1/search", dict(body, Origin="null")), 403)
        self.assertEqual(status("DELETE", "/v1/images/x", dict(body, Origin=f"http://{own}")), 404)

    def test_no_serious_accessibility_violation_on_any_page(self):
        for path in ["/?key=" + quote(self.path("Aqua.jpg"), safe=""), "/clusters?clusters=4&seed=3",
                     "/maps?key=" + quote(self.path("Aqua.jpg"), safe=""), "/duplicates?threshold=0.9999", "/stats"]:
            self.open(path)
            self.wait(lambda d: self.all("result") or self.all("cluster") or self.all("pca-map") or self.all("stats")
                      or self.all("group"))
            self.assertEqual(self.axe(), [], path)

    def test_everything_is_reachable_by_keyboard(self):
        self.open("/?key=" + quote(self.path("Aqua.jpg"), safe="") + "&k=4")
        self.results()
        controls = self.driver.execute_script("""
            return [...document.querySelectorAll('a[href], button, input, select')]
              .filter((e) => e.offsetParent !== null && !e.closest('dialog')).length""")
        reached = set()
        for _ in range(controls + 5):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            reached.add(self.driver.execute_script(
                "const e = document.activeElement; return e.tagName + '|' + (e.id || e.textContent.trim() || e.getAttribute('aria-label')) + '|' + [...document.querySelectorAll('a[href], button, input, select')].indexOf(e)"))
        similar = [r for r in reached if r.startswith("BUTTON|Similar")]
        self.assertEqual(len(similar), 4, sorted(reached))
        self.assertTrue(any(r.startswith("INPUT|query-file") for r in reached), sorted(reached))
        # Enter on a focused "Similar" searches from that image.
        self.all("search-similar")[1].send_keys(Keys.ENTER)
        self.wait(lambda d: "key=" in d.current_url and quote(self.path("Aqua.jpg"), safe="") not in d.current_url)

    def test_assets_within_budget_and_no_other_origin(self):
        self.driver.get_log("performance")  # drop what earlier tests logged
        self.open("/?key=" + quote(self.path("Aqua.jpg"), safe=""))
        self.results()
        self.thumbnails_in_view_loaded()
        requested = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
        self.assertTrue(requested)
        foreign = [u for u in requested if not (u.startswith(self.server.url) or u.startswith(("blob:", "data:")))]
        self.assertEqual(foreign, [])
        sizes = self.driver.execute_script("""
            const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
            return entries.filter((e) => !e.name.includes('/v1/')).map((e) => [e.name, e.decodedBodySize]);""")
        self.assertEqual(len(sizes), 3, sizes)  # the page, its script and its style sheet
        self.assertLessEqual(sum(size for _, size in sizes), ASSET_BUDGET, sizes)

    def test_no_page_breaks_its_own_content_security_policy(self):
        self.driver.get_log("browser")
        for path in ["/?key=" + quote(self.path("Aqua.jpg"), safe=""), "/clusters?clusters=4&seed=3",
                     "/maps?key=" + quote(self.path("Aqua.jpg"), safe=""), "/duplicates?threshold=0.9999", "/stats"]:
            self.open(path)
            self.wait(lambda d: self.all("result") or self.all("cluster") or self.all("pca-map") or self.all("stats")
                      or self.all("group"))
        refused = [e["message"] for e in self.driver.get_log("browser") if "Content Security Policy" in e["message"]]
        self.assertEqual(refused, [])


class KeyTests(unittest.TestCase):
    """The same server with keys: the page asks for one, and the read key searches."""

    @classmethod
    def setUpClass(cls):
        library(cls, curation=False)
        env = dict(os.environ, DINOSEARCH_API_KEY="write-secret", DINOSEARCH_READ_KEY="read-secret")
        cls.server = Server(cls.store, env=env)
        cls.driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def test_the_page_asks_for_a_key_and_the_read_key_searches(self):
        driver = self.driver
        key = os.path.join(self.photos, "GreenMeadow.jpg")
        driver.get(self.server.url + "/?key=" + quote(key, safe=""))
        dialog = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "key-dialog"))
        WebDriverWait(driver, 30).until(lambda d: dialog.get_attribute("open") is not None)
        field = driver.find_element(By.CSS_SELECTOR, "[data-testid=key-input]")
        field.send_keys("wrong")
        driver.find_element(By.CSS_SELECTOR, "[data-testid=key-submit]").click()
        WebDriverWait(driver, 30).until(lambda d: "not accepted" in d.find_element(By.ID, "key-error").text)
        field.send_keys("read-secret")
        driver.find_element(By.CSS_SELECTOR, "[data-testid=key-submit]").click()
        results = WebDriverWait(driver, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=result]") or None)
        self.assertEqual(results[0].get_attribute("data-key"), key)
        self.assertEqual(driver.find_element(By.CSS_SELECTOR, "[data-testid=store-count]").text, "7 images")
        self.assertIsNone(driver.execute_script("return document.cookie || null"))  # the key is in sessionStorage only
        self.assertNotIn("secret", driver.current_url)
        # Thumbnails come through fetch() with the key (an <img src> could not send it).
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "const i = document.querySelector('[data-testid=result] img'); return i && i.complete && i.naturalWidth > 0"))


if __name__ == "__main__":
    unittest.main()
