"""Tests of the Milvus loader and search against dinosearch's own exact search, on milvus-lite.

    DINOSEARCH_BIN=.build/debug/dinosearch python -m unittest discover -s examples/milvus -p 'test_*.py'

The vectors: 3,000 points around 60 centres in 64 dimensions, in two interchange shards, imported into a
dinosearch store (exact layout), exported and loaded into milvus-lite; 100 queries near stored points and
between them.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.path.abspath(os.environ.get("DINOSEARCH_BIN", os.path.join(ROOT, ".build/debug/dinosearch")))
LOAD, SEARCH = os.path.join(HERE, "load.py"), os.path.join(HERE, "search.py")
COUNT, DIMENSION = 3000, 64
sys.path.insert(0, HERE)
from load import read_json  # noqa: E402


def write_shard(folder, vectors, first):
    os.makedirs(folder)
    np.save(os.path.join(folder, "vectors.npy"), vectors.astype(np.float32))
    with open(os.path.join(folder, "records.jsonl"), "w") as f:
        for i in range(len(vectors)):
            f.write(json.dumps({"path": f"/photos/{first + i:05d}.jpg", "size": 1000 + i, "width": 640, "height": 480}) + "\n")
    with open(os.path.join(folder, "store.json"), "w") as f:
        json.dump({"model": "test-model", "dimension": DIMENSION, "count": len(vectors)}, f)


def run(*args, check=True, env=None):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr[-4000:]}")
    return result


class MilvusLoadTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BINARY, os.X_OK):
            raise unittest.SkipTest(f"no dinosearch binary at {BINARY} (build it, or set DINOSEARCH_BIN)")
        cls.scratch = tempfile.mkdtemp(prefix="milvus-load-test-")
        cls.env = dict(os.environ, XDG_CACHE_HOME=os.path.join(cls.scratch, "cache"))
        rng = np.random.default_rng(7)
        centres = rng.normal(size=(60, DIMENSION))
        vectors = centres[rng.integers(0, 60, COUNT)] + 0.35 * rng.normal(size=(COUNT, DIMENSION))
        cls.shards = [os.path.join(cls.scratch, "job", f"part-{i:05d}") for i in range(2)]
        write_shard(cls.shards[0], vectors[:1800], 0)
        write_shard(cls.shards[1], vectors[1800:], 1800)
        near = vectors[rng.integers(0, COUNT, 70)] + 0.2 * rng.normal(size=(70, DIMENSION))
        between = centres[rng.integers(0, 60, 30)] + 0.5 * rng.normal(size=(30, DIMENSION))
        cls.queries = os.path.join(cls.scratch, "queries.npy")
        np.save(cls.queries, np.concatenate([near, between]).astype(np.float32))

        # The store keeps float16 vectors: Milvus gets the same vectors through `dinosearch export`.
        store, cls.export = os.path.join(cls.scratch, "store"), os.path.join(cls.scratch, "export")
        run(BINARY, "import", "--store", store, *cls.shards)
        run(BINARY, "export", "--store", store, cls.export)
        answer = run(BINARY, "query", "--store", store, "--vectors", cls.queries, "-k", "10", "--json")
        cls.exact = [[(hit["path"], hit["score"]) for hit in q["results"]] for q in json.loads(answer.stdout)]
        cls.ids = {hit["path"]: hit["id"] for q in json.loads(answer.stdout) for hit in q["results"]}
        assert len(cls.exact) == 100 and all(len(hits) == 10 for hits in cls.exact)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def load(self, uri, collection, *extra, check=True):
        result = run(sys.executable, LOAD, "--from", self.export, "--uri", uri,
                     "--collection", collection, *extra, check=check, env=self.env)
        return json.loads(result.stdout) if result.returncode == 0 else result

    def milvus_top10(self, uri, collection):
        result = run(sys.executable, SEARCH, "--uri", uri, "--collection", collection, "--vectors", self.queries,
                     "-k", "10", "--json")
        return [[(hit["path"], hit["score"]) for hit in q["results"]] for q in json.loads(result.stdout)]

    def assertSameTop10(self, found):
        """The same 10 keys per query, with the same scores rank by rank (float32 sums in another order: 1e-5);
        keys may swap between ranks whose scores are that close."""
        self.assertEqual(len(found), len(self.exact))
        for q, (hits, exact) in enumerate(zip(found, self.exact)):
            self.assertEqual({key for key, _ in hits}, {key for key, _ in exact}, f"query {q}")
            for rank, ((_, score), (_, want)) in enumerate(zip(hits, exact)):
                self.assertAlmostEqual(score, want, delta=1e-5, msg=f"query {q} rank {rank + 1}")

    @staticmethod
    def recall(found, exact):
        return np.mean([len({k for k, _ in a} & {k for k, _ in b}) / 10 for a, b in zip(found, exact)])

    def test_flat_top10_equals_dinosearch_exact_top10(self):
        uri = os.path.join(self.scratch, "flat.db")
        summary = self.load(uri, "images", "--index", "FLAT", "--batch", "500")
        self.assertEqual((summary["rows"], summary["loaded"], summary["skipped"]), (COUNT, COUNT, 0))
        self.assertSameTop10(self.milvus_top10(uri, "images"))

        # The record fields came along as scalars, the dinosearch id among them.
        row = self.milvus(uri, """
client.load_collection("images")
row = client.query("images", filter='key == "/photos/01801.jpg"', output_fields=["id", "size", "width", "hash"])[0]
print(json.dumps(row))""")
        self.assertEqual((row["size"], row["width"], row["hash"]), (1001, 640, ""))
        self.assertEqual(row["id"], self.ids["/photos/01801.jpg"])

        # Loading again changes nothing: the same rows, each once.
        again = self.load(uri, "images", "--index", "FLAT", "--restart")
        self.assertEqual(again["loaded"], COUNT)
        self.assertEqual(self.count(uri, "images"), COUNT)
        self.assertSameTop10(self.milvus_top10(uri, "images"))

    def test_approximate_indexes_report_their_recall(self):
        for index in ("IVF_FLAT", "HNSW"):
            uri = os.path.join(self.scratch, f"{index.lower()}.db")
            self.load(uri, "images", "--index", index)
            found = self.milvus_top10(uri, "images")
            recall = self.recall(found, self.exact)
            print(f"\nmilvus-lite {index} recall@10 against dinosearch exact: {recall:.3f}", file=sys.stderr)
            self.assertGreaterEqual(recall, 0.9, index)

    def test_a_killed_load_resumes_and_leaves_every_row_once(self):
        uri = os.path.join(self.scratch, "resumed.db")
        process = subprocess.Popen([sys.executable, LOAD, "--from", self.export, "--uri", uri, "--collection", "images",
                                    "--index", "FLAT", "--batch", "100"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env, start_new_session=True)
        progress = os.path.join(self.scratch, "cache", "dinosearch", "milvus-load")
        deadline = time.time() + 120
        while time.time() < deadline and process.poll() is None:
            states = [os.path.join(progress, n) for n in os.listdir(progress)] if os.path.isdir(progress) else []
            done = [sum(read_json(s, {}).values()) for s in states if s.endswith(".json")]
            if done and 500 <= max(done) < COUNT:
                break
            time.sleep(0.02)
        self.assertIsNone(process.poll(), "the load ended before it could be killed")
        os.killpg(process.pid, signal.SIGKILL)  # the loader and milvus-lite's server with it
        process.wait()
        resumed = self.load(uri, "images", "--index", "FLAT", "--batch", "100")
        self.assertGreaterEqual(resumed["skipped"], 500)
        self.assertEqual(resumed["loaded"] + resumed["skipped"], COUNT)
        self.assertEqual(self.count(uri, "images"), COUNT)
        self.assertSameTop10(self.milvus_top10(uri, "images"))

    def test_search_by_image_embeds_with_dinosearch(self):
        model = os.path.join(ROOT, "Tests/DinoModelTests/Fixtures/plain/model.safetensors")
        photos = sorted(os.path.join(ROOT, "examples/photos", n) for n in os.listdir(os.path.join(ROOT, "examples/photos"))
                        if n.endswith(".jpg"))
        shard = os.path.join(self.scratch, "photos-shard")
        run(BINARY, "embed", "--model", model, "--out", shard, *photos)
        uri = os.path.join(self.scratch, "photos.db")
        result = run(sys.executable, LOAD, "--from", shard, "--uri", uri, "--collection", "photos", "--index", "FLAT",
                     env=self.env)
        self.assertEqual(json.loads(result.stdout)["loaded"], len(photos))
        found = run(sys.executable, SEARCH, "--uri", uri, "--collection", "photos", "--dinosearch", BINARY,
                    "--model", model, "-k", "3", "--json", photos[2], photos[5])
        answers = json.loads(found.stdout)
        self.assertEqual([a["query"] for a in answers], [photos[2], photos[5]])
        for answer, photo in zip(answers, (photos[2], photos[5])):
            self.assertEqual(answer["results"][0]["path"], photo)
            self.assertAlmostEqual(answer["results"][0]["score"], 1.0, delta=1e-5)
            self.assertEqual(len(answer["results"]), 3)
        text = run(sys.executable, SEARCH, "--uri", uri, "--collection", "photos", "--dinosearch", BINARY,
                   "--model", model, "-k", "2", photos[0]).stdout.splitlines()
        self.assertEqual(text[0], photos[0])
        self.assertTrue(text[1].startswith("   1  1.0000  " + photos[0]), text[1])

    def test_refuses_bad_folders_and_other_models(self):
        bad = os.path.join(self.scratch, "bad")
        vectors = np.ones((3, DIMENSION), dtype=np.float32)
        vectors[1, 5] = np.nan
        write_shard(bad, vectors, 0)
        uri = os.path.join(self.scratch, "refused.db")
        result = run(sys.executable, LOAD, "--from", bad, "--uri", uri, "--collection", "x", check=False, env=self.env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("vectors.npy row 1 is not finite", result.stderr)

        other = os.path.join(self.scratch, "other")
        write_shard(other, np.ones((2, DIMENSION)), 0)
        with open(os.path.join(other, "store.json"), "w") as f:
            json.dump({"model": "another-model", "dimension": DIMENSION, "count": 2}, f)
        self.load(uri, "images", "--index", "FLAT")
        result = run(sys.executable, LOAD, "--from", other, "--uri", uri, "--collection", "images", check=False, env=self.env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("holds something else (model 'test-model')", result.stderr)

    def milvus(self, uri, script):
        """Runs `script` against the collection in a process of its own (milvus-lite keeps a file locked while
        the process that opened it lives) and returns what it prints, as JSON."""
        code = f"from pymilvus import MilvusClient\nimport json\nclient = MilvusClient({uri!r})\n{script}"
        return json.loads(run(sys.executable, "-c", code).stdout)

    def count(self, uri, collection):
        """Rows in the collection, asserting that no key is stored twice."""
        total, keys = self.milvus(uri, f"""
client.load_collection({collection!r})
total = client.query({collection!r}, filter="", output_fields=["count(*)"])[0]["count(*)"]
keys = [row["key"] for row in client.query({collection!r}, filter="", output_fields=["key"], limit={COUNT + 10})]
print(json.dumps([total, keys]))""")
        self.assertEqual(len(set(keys)), len(keys), "a key stored twice")
        return total

if __name__ == "__main__":
    unittest.main()
