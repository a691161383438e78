"""Embed a photo collection on Apache Spark with dinosearch, into shards that `dinosearch import` reads.

    python examples/spark/embed_job.py --input LIST_OR_DIR --output OUT --dinosearch BIN --model MODEL \
        [--partitions N] [--master URL] [--column path]

Spark does the distribution, retries and scheduling; each partition runs the dinosearch binary on its executor
(`dinosearch embed --files-from LIST --out DIR`, with as many encoder and decoder threads as the task has CPUs;
the binary and the model must be present on every node, at the same paths) and leaves one shard,
OUT/part-NNNNN/, in the interchange format (vectors.npy, records.jsonl, store.json). A shard is written under a
hidden name and renamed when complete, so a retried or speculative task never leaves half a shard, and a re-run
of the job skips the shards that are done. Files that cannot be decoded are skipped and listed with their reasons
in OUT/failures.jsonl; they never fail the job. OUT/_SUCCESS appears when every partition is done. Then:

    dinosearch import OUT/part-*

Input: a folder (walked on the driver, taking the files `dinosearch index` would take), a text file with one
path or URL per line, or a Parquet file/folder with the paths in --column. Paths must be readable on every
executor (shared storage); `file:` URLs are read as local paths, `http(s):` URLs are downloaded by the executor
into a temporary folder and stored under their URL.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import uuid

# What `dinosearch index` walks into (Sources/DinoSearch/FileWalker.swift): these extensions, or image bytes.
IMAGE_EXTENSIONS = {"jpg", "jpeg", "jpe", "jfif", "png", "webp", "heic", "heif", "avif", "gif", "bmp", "tif", "tiff", "jxl",
                    # camera RAW (Sources/DinoImage/ImageFormat.swift, rawExtensions)
                    "dng", "cr2", "nef", "nrw", "arw", "srf", "sr2", "pef", "orf", "rw2", "raf", "srw", "erf", "3fr",
                    "kdc", "dcr", "mos", "iiq", "mef", "rwl", "cr3", "crw"}
SHARD_FILES = ("vectors.npy", "records.jsonl", "store.json")
INPUT_DIGEST = "input.sha256"  # in each shard: which paths it was made from, so a re-run never mixes inputs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="a folder, a text file of paths/URLs, or a Parquet file")
    parser.add_argument("--output", required=True, help="the folder that receives part-NNNNN/ shards")
    parser.add_argument("--dinosearch", required=True, help="the dinosearch binary, at this path on every node")
    parser.add_argument("--model", required=True, help="the DINOv2 checkpoint, at this path on every node")
    parser.add_argument("--partitions", type=int, help="shards to make (default: 1 per 1,000 images, at least "
                                                      "Spark's default parallelism)")
    parser.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*])")
    parser.add_argument("--column", default="path", help="the Parquet column holding the paths (default: path)")
    args = parser.parse_args(argv)
    if args.partitions is not None and args.partitions < 1:
        parser.error("--partitions must be at least 1")

    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    conf = SparkConf().setAppName("dinosearch-embed")
    if args.master:
        conf.setMaster(args.master)
    elif not conf.contains("spark.master"):
        conf.setMaster("local[*]")
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    try:
        summary = run(spark, args)
    finally:
        spark.stop()
    print(json.dumps(summary))
    return 0


def run(spark, args):
    """Embeds every input path into OUT/part-NNNNN/ shards; returns {"images", "embedded", "failed", "shards", "skipped"}."""
    sc = spark.sparkContext
    output = os.path.abspath(args.output)
    os.makedirs(output, exist_ok=True)
    paths = input_paths(spark, args).distinct()
    total = paths.count()
    if total == 0:
        raise SystemExit(f"embed_job: {args.input} names no images")
    partitions = args.partitions or max(sc.defaultParallelism, -(-total // 1000))
    partitions = min(partitions, total)

    # Sorted, numbered, and cut into contiguous ranges: the same input always gives the same shards, which is
    # what lets a re-run skip the finished ones.
    numbered = paths.sortBy(lambda p: p).zipWithIndex()
    keyed = numbered.map(lambda pair: (pair[1] * partitions // total, pair[0]))
    shards = keyed.partitionBy(partitions, lambda k: k)

    job = PartitionJob(output, os.path.abspath(args.dinosearch), os.path.abspath(args.model))
    results = shards.mapPartitionsWithIndex(job).collect()

    write_failures(output, partitions)
    for name in os.listdir(output):  # staging folders of killed attempts (every task is over now)
        if name.startswith((".part-", "..part-")):  # ours, and dinosearch's own inside them
            shutil.rmtree(os.path.join(output, name), ignore_errors=True)
    with open(os.path.join(output, "_SUCCESS"), "w"):
        pass
    return {
        "images": total,
        "embedded": sum(r["embedded"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "shards": partitions,
        "skipped": sum(r["skipped"] for r in results),
    }


def input_paths(spark, args):
    """An RDD of path strings: the walked folder, the text file's lines, or the Parquet column."""
    source = args.input
    if os.path.isdir(source) and not is_parquet_folder(source):
        return spark.sparkContext.parallelize(sorted(walk_images(source)))
    if source.endswith(".parquet") or is_parquet_folder(source):
        frame = spark.read.parquet(source)
        if args.column not in frame.columns:
            raise SystemExit(f"embed_job: {source} has no column {args.column!r} (it has {', '.join(frame.columns)})")
        return frame.select(args.column).rdd.map(lambda row: row[0]).filter(lambda p: p)
    return spark.read.text(source).rdd.map(lambda row: row[0].strip()).filter(lambda p: p)


def is_parquet_folder(path):
    return os.path.isdir(path) and any(n.endswith(".parquet") for n in os.listdir(path))


def walk_images(root):
    """Absolute paths of the files under `root` that `dinosearch index` would read: hidden entries skipped,
    symbolic links to folders followed once, image extensions or image bytes."""
    seen = set()
    for folder, dirs, files in os.walk(os.path.abspath(root), followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            path = os.path.join(folder, name)
            if not name.startswith(".") and os.path.isfile(path) and looks_like_image(path):
                yield path


def looks_like_image(path):
    if os.path.splitext(path)[1][1:].lower() in IMAGE_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    # The signatures of Sources/CDinoImage/sniff.c.
    return (head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\0", b"MM\0*",
                             b"\xff\x0a", b"\0\0\0\x0cJXL \r\n\x87\n", b"IIRO", b"IIRS", b"MMOR", b"IIU\0",
                             b"FUJIFILMCCD-RAW "))
            or (head[:2] == b"BM" and len(head) >= 14)
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis", b"heic", b"heix", b"hevc", b"hevx",
                                                          b"heim", b"heis", b"mif1", b"msf1", b"crx ")))


class PartitionJob:
    """Runs on an executor: embeds one partition's paths into OUT/part-NNNNN (a picklable callable for
    mapPartitionsWithIndex)."""

    def __init__(self, output, binary, model):
        self.output, self.binary, self.model = output, binary, model

    def __call__(self, index, rows):
        paths = [path for _, path in rows]
        final = os.path.join(self.output, f"part-{index:05d}")
        digest = hashlib.sha256("\n".join(paths).encode()).hexdigest()
        if os.path.exists(os.path.join(final, "store.json")):
            made_from = read_text(os.path.join(final, INPUT_DIGEST))
            if made_from != digest:
                raise RuntimeError(f"{final} was made from other input paths; write this job to a new --output")
            yield shard_summary(final, skipped=1)
            return
        with tempfile.TemporaryDirectory(prefix="dinosearch-embed-") as scratch:
            local, urls, download_failures = localize(paths, scratch)
            listing = os.path.join(scratch, "paths.txt")
            with open(listing, "w") as f:
                f.write("".join(p + "\n" for p in local))
            # A name of this attempt's own: a retried or speculative attempt never writes into another's folder.
            staging = os.path.join(self.output, f".part-{index:05d}.{uuid.uuid4().hex}")
            environment = dict(os.environ)
            threads = str(task_cpus())
            environment.update(OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
            command = [self.binary, "embed", "--model", self.model, "--files-from", listing, "--out", staging,
                       "--decode-threads", threads]
            run = subprocess.run(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if run.returncode != 0:
                shutil.rmtree(staging, ignore_errors=True)
                raise RuntimeError(f"dinosearch embed failed on partition {index} (exit {run.returncode}): "
                                   f"{run.stderr.strip()[-2000:]}")
            if urls:
                rewrite_paths(os.path.join(staging, "records.jsonl"), urls)
                rewrite_paths(os.path.join(staging, "failures.jsonl"), urls, drop=())
            if download_failures:
                with open(os.path.join(staging, "failures.jsonl"), "a") as f:
                    f.write("".join(json_line(failure) for failure in download_failures))
            with open(os.path.join(staging, INPUT_DIGEST), "w") as f:
                f.write(digest)
        try:
            os.rename(staging, final)
        except OSError:
            # Another attempt of this partition finished first (its shard is whole): ours is not needed.
            shutil.rmtree(staging, ignore_errors=True)
            if not os.path.exists(os.path.join(final, "store.json")):
                raise
        yield shard_summary(final, skipped=0)


def task_cpus():
    from pyspark import TaskContext
    context = TaskContext.get()
    return max(1, context.cpus()) if context else 1


def localize(paths, scratch):
    """Local paths for dinosearch: `file:` URLs become paths, `http(s):` URLs are downloaded into `scratch`.
    Returns the local paths, {downloaded file: URL} and the failures of downloads ({"path", "reason"})."""
    local, urls, failures = [], {}, []
    for i, path in enumerate(paths):
        scheme = urllib.parse.urlsplit(path).scheme.lower()
        if scheme == "file":
            local.append(urllib.request.url2pathname(urllib.parse.urlsplit(path).path))
        elif scheme in ("http", "https"):
            target = os.path.join(scratch, f"download-{i:08d}")
            try:
                with urllib.request.urlopen(path, timeout=60) as response, open(target, "wb") as f:
                    shutil.copyfileobj(response, f)
            except (OSError, ValueError) as error:
                failures.append({"path": path, "reason": f"cannot be downloaded: {error}"})
                continue
            local.append(target)
            urls[target] = path
        else:
            local.append(os.path.abspath(path))
    return local, urls, failures


def rewrite_paths(jsonl, urls, drop=("modified",)):
    """Puts each downloaded file's URL back in `path` (and drops fields that describe the download, not the photo)."""
    if not os.path.exists(jsonl):
        return
    with open(jsonl) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    for record in lines:
        if record["path"] in urls:
            record["path"] = urls[record["path"]]
            for field in drop:
                record.pop(field, None)
    with open(jsonl + ".tmp", "w") as f:
        f.write("".join(json_line(record) for record in lines))
    os.replace(jsonl + ".tmp", jsonl)


def json_line(value):
    """One JSONL line, written as dinosearch writes its own (sorted keys, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def write_failures(output, partitions):
    """OUT/failures.jsonl: every shard's failures, in shard order (written whole, then renamed)."""
    target = os.path.join(output, "failures.jsonl")
    with open(target + ".tmp", "w") as out:
        for index in range(partitions):
            path = os.path.join(output, f"part-{index:05d}", "failures.jsonl")
            if os.path.exists(path):
                with open(path) as f:
                    shutil.copyfileobj(f, out)
    os.replace(target + ".tmp", target)


def shard_summary(shard, skipped):
    """What a partition reports to the driver: its shard's images and failures."""
    return {"embedded": count_lines(os.path.join(shard, "records.jsonl")),
            "failed": count_lines(os.path.join(shard, "failures.jsonl")), "skipped": skipped}


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def count_lines(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


if __name__ == "__main__":
    sys.exit(main())
