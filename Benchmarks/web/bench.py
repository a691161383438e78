"""The web interface's figures (Benchmarks/web.sh runs it; see there for what and why).

    bench.py --bin .build/release/dinosearch --model MODEL --work DIR [--images 1000000]
"""

import argparse
import glob
import io
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
import http.client
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool
from urllib.parse import quote, urlparse

import numpy as np
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

WALLPAPERS = sorted(glob.glob("/usr/share/backgrounds/mate/nature/*.jpg"))
THUMBNAILS = 48
CONNECTIONS = 6  # what a browser opens to one host


def photos(folder):
    """48 phone-sized (4032 × 3024) JPEGs, each a different crop of a wallpaper, so no two share a content hash."""
    os.makedirs(folder, exist_ok=True)
    made = sorted(glob.glob(os.path.join(folder, "*.jpg")))
    if len(made) == THUMBNAILS:
        return made
    for i in range(THUMBNAILS):
        im = Image.open(WALLPAPERS[i % len(WALLPAPERS)]).convert("RGB")
        w, h = im.size
        side = 0.75 + 0.2 * ((i * 7) % 10) / 10  # crops of 75–95% of the picture
        cw, ch = int(w * side), int(w * side * 3 / 4)
        ch = min(ch, h)
        x, y = (w - cw) * ((i * 3) % 5) // 4, (h - ch) // 2
        im.crop((x, y, x + cw, y + ch)).resize((4032, 3024), Image.LANCZOS).save(
            os.path.join(folder, f"photo-{i:02d}.jpg"), quality=90)
    return sorted(glob.glob(os.path.join(folder, "*.jpg")))


class Server:
    def __init__(self, binary, store, model):
        self.log = open(store + ".serve.log", "a")
        self.process = subprocess.Popen([binary, "serve", "--store", store, "--model", model, "--port", "0", "--json"],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        info = json.loads(self.process.stdout.readline())
        self.url, self.port = info["url"], info["port"]

    def get(self, path, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), body

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()
        self.log.close()


def fetch_all(server, paths, headers=None):
    """GETs every path over CONNECTIONS keep-alive connections at once; wall seconds and the statuses."""
    chunks = [paths[i::CONNECTIONS] for i in range(CONNECTIONS)]
    statuses = []
    lock = threading.Lock()

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        for path in chunk:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        connection.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(worker, chunks))
    return time.perf_counter() - start, statuses


def pil_thumbnail(path):
    im = Image.open(path)
    im.draft("RGB", (256, 256))  # libjpeg's DCT scaling, as dinosearch's decoder does
    im = im.convert("RGB")
    im.thumbnail((256, 256), Image.BICUBIC)
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=80)
    return len(buffer.getvalue())


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_mark(driver, name):
    WebDriverWait(driver, 600, poll_frequency=0.02).until(
        lambda d: d.execute_script(f"return performance.getEntriesByName('{name}').length > 0"))


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--images", type=int, default=1_000_000)
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    files = photos(os.path.join(work, "photos"))
    store = os.path.join(work, "store")
    if not os.path.exists(store):
        subprocess.run([args.bin, "index", "--store", store, "--model", args.model, os.path.join(work, "photos")],
                       check=True, stdout=subprocess.DEVNULL)
    print(f"# {len(files)} JPEGs of 4032×3024, {sum(os.path.getsize(f) for f in files) / len(files) / 1e6:.1f} MB each")
    paths = [f"/v1/thumbnails/{quote(f, safe='')}?size=256" for f in files]

    # Thumbnails, cold: a fresh server and an empty cache each time.
    cold, warm, revalidated = [], [], []
    for _ in range(5):
        shutil.rmtree(os.path.join(store, "thumbnails"), ignore_errors=True)
        server = Server(args.bin, store, args.model)
        seconds, statuses = fetch_all(server, paths)
        assert statuses == [200] * THUMBNAILS, statuses
        cold.append(seconds)
        _, _, metrics = server.get("/metrics")
        made = [line for line in metrics.decode().splitlines() if line.startswith("dinosearch_thumbnails_made")]
        warm.append(fetch_all(server, paths)[0])
        etags = [server.get(p)[1]["ETag"] for p in paths]
        start = time.perf_counter()
        for p, etag in zip(paths, etags):
            assert server.get(p, {"If-None-Match": etag})[0] == 304
        revalidated.append(time.perf_counter() - start)
        server.stop()
    peer = []
    with Pool(2) as pool:
        for _ in range(5):
            start = time.perf_counter()
            pool.map(pil_thumbnail, files)
            peer.append(time.perf_counter() - start)
    print(f"thumbnails cold (48, {CONNECTIONS} connections): median {median(cold):.3f} s (runs {', '.join(f'{c:.3f}' for c in cold)}); made: {made}")
    print(f"PIL draft + thumbnail + JPEG, 2 processes: median {median(peer):.3f} s → dinosearch {median(peer) / median(cold):.2f}× PIL")
    print(f"thumbnails warm (cached in the store): median {median(warm) * 1000:.1f} ms; 304 revalidation, one connection: median {median(revalidated) * 1000:.1f} ms")

    # The results grid, painted after the answer arrives; the page's assets.
    server = Server(args.bin, store, args.model)
    driver = browser()
    painted, assets = [], None
    for i in range(11):
        driver.get(f"{server.url}/?key={quote(files[i % len(files)], safe='')}&k=48")
        wait_mark(driver, "results-painted")
        gap, loaded = driver.execute_script("""
            const search = performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/search')).pop();
            const mark = performance.getEntriesByName('results-painted')[0];
            const pages = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
              .filter((e) => !e.name.includes('/v1/'));
            return [mark.startTime - search.responseEnd, pages.map((e) => [e.name, e.decodedBodySize])];""")
        if i:  # the first load warms Chromium's own caches
            painted.append(gap)
        else:  # later loads revalidate the assets (304: no body), so their sizes are read from the first
            assets = loaded
    print(f"results grid (48) painted after the search answer: median {median(painted):.1f} ms, max {max(painted):.1f} ms")
    print(f"page assets: {sum(size for _, size in assets)} bytes ({', '.join(f'{urlparse(n).path}: {s}' for n, s in assets)})")
    driver.quit()
    server.stop()

    # The clusters page on a large store, once its k-means is cached.
    fingerprint = json.loads(subprocess.run([args.bin, "stats", "--store", store, "--json"], check=True,
                                            capture_output=True, text=True).stdout)
    big = os.path.join(work, f"store-{args.images}")
    if not os.path.exists(big):
        shard = os.path.join(work, f"shard-{args.images}")
        shutil.rmtree(shard, ignore_errors=True)
        os.makedirs(shard)
        rng = np.random.default_rng(1)
        d = fingerprint["dimension"]
        centres = rng.normal(size=(2000, d)).astype(np.float32)
        vectors = np.empty((args.images, d), np.float32)
        for start in range(0, args.images, 100_000):
            n = min(100_000, args.images - start)
            vectors[start:start + n] = centres[rng.integers(0, 2000, n)] + 0.6 * rng.normal(size=(n, d))
        np.save(os.path.join(shard, "vectors.npy"), vectors)
        with open(os.path.join(shard, "records.jsonl"), "w") as f:
            for i in range(args.images):
                f.write(f'{{"path": "/photos/{i // 1000:04d}/IMG_{i:07d}.jpg", "size": {2_000_000 + i}, "width": 4032, "height": 3024}}\n')
        with open(os.path.join(shard, "store.json"), "w") as f:
            json.dump({"model": fingerprint["model"], "dimension": d, "count": args.images}, f)
        start = time.perf_counter()
        subprocess.run([args.bin, "import", "--store", big, shard], check=True, stdout=subprocess.DEVNULL)
        print(f"# imported {args.images} synthetic {d}-d vectors in {time.perf_counter() - start:.0f} s")
        shutil.rmtree(shard)
    server = Server(args.bin, big, args.model)
    listing = "/v1/clusters?clusters=1000&seed=1&limit=24"
    start = time.perf_counter()
    while server.get(listing)[0] == 202:
        time.sleep(0.5)
    print(f"k-means, 1000 clusters over {args.images}: {time.perf_counter() - start:.1f} s (in the background, once)")
    server.stop()
    first, repeat, page = [], [], []
    driver = browser()
    for _ in range(5):
        server = Server(args.bin, big, args.model)  # a fresh server: the clustering comes from the store's cache file
        start = time.perf_counter()
        assert server.get(listing)[0] == 200
        first.append(time.perf_counter() - start)
        for _ in range(5):
            start = time.perf_counter()
            server.get(listing.replace("limit=24", "limit=24&offset=24"))
            repeat.append(time.perf_counter() - start)
        driver.get(f"{server.url}/clusters?clusters=1000&seed=1")
        wait_mark(driver, "clusters-painted")
        page.append(driver.execute_script("return performance.getEntriesByName('clusters-painted')[0].startTime"))
        server.stop()
    driver.quit()
    print(f"clusters listing on {args.images}: first after a restart (cache file read) median {median(first) * 1000:.0f} ms; "
          f"later pages median {median(repeat) * 1000:.1f} ms")
    print(f"clusters page first view (navigation start → 24 cards painted, cache warm in the server): median {median(page):.0f} ms")


if __name__ == "__main__":
    main()
