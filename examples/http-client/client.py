#!/usr/bin/env python3
"""python3 examples/http-client/client.py [--url URL] index FOLDER [--prefix P] | search IMAGE [-k K] [--prefix P]

A backend's use of `dinosearch serve`, standard library only: `index` uploads every photo (JPEG, PNG, WebP, HEIC,
AVIF, TIFF, GIF, BMP, JPEG XL, DNG and other camera RAW) under FOLDER with PUT /v1/images/{key} (key = prefix +
path relative to FOLDER), four at a time, waiting as told when the server answers 503; `search` sends an image's bytes to POST /v1/search and prints rank, score and key.
The key comes from $DINOSEARCH_API_KEY when the server needs one.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
               ".heic": "image/heic", ".heif": "image/heif", ".avif": "image/avif", ".tif": "image/tiff",
               ".tiff": "image/tiff", ".gif": "image/gif", ".bmp": "image/bmp", ".jxl": "image/jxl",
               ".dng": "image/x-adobe-dng", ".cr2": "image/x-canon-cr2", ".cr3": "image/x-canon-cr3",
               ".nef": "image/x-nikon-nef", ".arw": "image/x-sony-arw", ".raf": "image/x-fuji-raf",
               ".orf": "image/x-olympus-orf", ".rw2": "image/x-panasonic-rw2"}


def call(url: str, method: str, body: bytes, content_type: str) -> dict:
    """One request; JSON back. Retries on 503 after the server's Retry-After; raises on other errors."""
    headers = {"Content-Type": content_type}
    if os.environ.get("DINOSEARCH_API_KEY"):
        headers["Authorization"] = "Bearer " + os.environ["DINOSEARCH_API_KEY"]
    for _ in range(30):
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 503:
                detail = json.load(error).get("error", {})
                raise RuntimeError(f"HTTP {error.code} {detail.get('code')}: {detail.get('message')}") from None
            time.sleep(float(error.headers.get("Retry-After", "1")))
    raise RuntimeError("the server stayed overloaded")


def index(server: str, folder: str, prefix: str) -> int:
    files = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if os.path.splitext(name)[1].lower() in IMAGE_TYPES
    )

    def upload(path: str) -> str:
        key = prefix + os.path.relpath(path, folder).replace(os.sep, "/")
        with open(path, "rb") as file:
            body = file.read()
        content_type = IMAGE_TYPES[os.path.splitext(path)[1].lower()]
        added = call(f"{server}/v1/images/{urllib.parse.quote(key, safe='/')}", "PUT", body, content_type)
        return f"{added['id']:>6}  {added['width']}x{added['height']}  {added['key']}"

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for path, outcome in zip(files, pool.map(lambda p: _attempt(upload, p), files)):
            if isinstance(outcome, Exception):
                failed += 1
                print(f"skipped {path}: {outcome}", file=sys.stderr)
            else:
                print(outcome)
    print(f"{len(files) - failed} images indexed, {failed} skipped", file=sys.stderr)
    return 0 if failed == 0 else 1


def _attempt(function, argument):
    try:
        return function(argument)
    except (RuntimeError, OSError) as error:
        return error


def search(server: str, image: str, k: int, prefix: str) -> int:
    query = {"k": k}
    if prefix:
        query["prefix"] = prefix
    with open(image, "rb") as file:
        body = file.read()
    answer = call(f"{server}/v1/search?{urllib.parse.urlencode(query)}", "POST", body, "application/octet-stream")
    for hit in answer["results"]:
        print(f"{hit['rank']}  {hit['score']:.3f}  {hit['key']}")
    print(f"{answer['took_ms']:.1f} ms", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    parser.add_argument("--url", default="http://127.0.0.1:7878", help="the dinosearch server")
    commands = parser.add_subparsers(dest="command", required=True)
    index_parser = commands.add_parser("index", help="upload every image under a folder")
    index_parser.add_argument("folder")
    index_parser.add_argument("--prefix", default="", help="put before every key, e.g. user-42/")
    search_parser = commands.add_parser("search", help="search by an image")
    search_parser.add_argument("image")
    search_parser.add_argument("-k", type=int, default=10)
    search_parser.add_argument("--prefix", default="", help="search only keys that start with this")
    args = parser.parse_args()
    server = args.url.rstrip("/")
    try:
        if args.command == "index":
            return index(server, args.folder, args.prefix)
        return search(server, args.image, args.k, args.prefix)
    except (RuntimeError, OSError) as error:
        print(f"client.py: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
