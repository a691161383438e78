"""Load dinosearch vectors and records into a Milvus collection, for serving beyond one machine's memory.

    python examples/milvus/load.py --from EXPORT_OR_SHARDS... --uri URI --collection NAME \
        [--index HNSW|IVF_FLAT|IVF_SQ8|FLAT] [--batch 1000] [--restart]

--from takes interchange folders (`dinosearch export`, `dinosearch embed --out`, the Spark job's part-NNNNN
shards) or a folder holding part-* shards. --uri is a Milvus server ("http://host:19530") or, for tests and
laptops, a milvus-lite file ("./images.db").

The collection gets one row per image: `key` (the path, primary key), `vector` (COSINE), and the record's fields
as scalars (`id`, `size`, `modified`, `hash`, `width`, `height`, `added`; 0 or "" where a folder does not know
them). Every folder is checked first (store.json, row counts, finite non-zero vectors, the same model), then rows
are upserted in batches: loading twice changes nothing, and a load that was stopped resumes after the last batch
it finished (progress kept in ~/.cache/dinosearch/milvus-load/; --restart ignores it).
"""

import argparse
import glob
import hashlib
import json
import os
import sys

import numpy as np

FIELDS = {"id": 0, "size": 0, "modified": 0.0, "hash": "", "width": 0, "height": 0, "added": 0.0}
KEY_BYTES = 65535  # Milvus's longest VARCHAR
MODEL_PROPERTY = "dinosearch.model"  # the collection property naming the model fingerprint


class LoadError(Exception):
    pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="sources", nargs="+", required=True, help="interchange folders, or a folder of part-* shards")
    parser.add_argument("--uri", required=True, help="a Milvus server URL or a milvus-lite file")
    parser.add_argument("--collection", required=True)
    parser.add_argument("--index", default="HNSW", choices=["HNSW", "IVF_FLAT", "IVF_SQ8", "FLAT"],
                        help="vector index (default HNSW, M=16, efConstruction=200; IVF: 4·√N lists)")
    parser.add_argument("--batch", type=int, default=1000, help="rows per upsert (default 1000)")
    parser.add_argument("--token", default=os.environ.get("MILVUS_TOKEN", ""), help="Milvus credentials (or $MILVUS_TOKEN)")
    parser.add_argument("--restart", action="store_true", help="ignore saved progress and upsert every row again")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    try:
        summary = load(args)
    except LoadError as error:
        print(f"load.py: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


def load(args):
    folders = expand(args.sources)
    model, dimension, total = check(folders)
    from pymilvus import MilvusClient

    client = MilvusClient(uri=args.uri, token=args.token)
    created = ensure_collection(client, args.collection, model, dimension, args.index, total)

    state_path = progress_file(args.uri, args.collection, folders)
    # Progress counts only for the collection it was made in (not for one dropped and made again since).
    done = {} if args.restart or created else read_json(state_path, {})
    loaded = skipped = 0
    for folder in folders:
        vectors = np.load(os.path.join(folder, "vectors.npy"), mmap_mode="r")
        start = done.get(folder, 0)
        skipped += start
        batch = []
        with open(os.path.join(folder, "records.jsonl"), encoding="utf-8") as f:
            for row, line in enumerate(f):
                if row < start:
                    continue
                record = json.loads(line)
                entity = {name: record.get(name) if record.get(name) is not None else default
                          for name, default in FIELDS.items()}
                entity["key"] = record["path"]
                entity["vector"] = normalised(vectors[row]).tolist()
                batch.append(entity)
                if len(batch) == args.batch:
                    client.upsert(args.collection, batch)
                    loaded += len(batch)
                    done[folder] = row + 1
                    write_json(state_path, done)
                    batch = []
        if batch:
            client.upsert(args.collection, batch)
            loaded += len(batch)
        done[folder] = len(vectors)
        write_json(state_path, done)
    client.flush(args.collection)
    return {"collection": args.collection, "rows": total, "loaded": loaded, "skipped": skipped, "model": model}


def expand(sources):
    """The interchange folders named, a folder of part-* shards standing for its shards (sorted, absolute)."""
    folders = []
    for source in sources:
        if os.path.exists(os.path.join(source, "store.json")):
            folders.append(os.path.abspath(source))
            continue
        shards = sorted(p for p in glob.glob(os.path.join(source, "part-*")) if os.path.exists(os.path.join(p, "store.json")))
        if not shards:
            raise LoadError(f"{source}: not an interchange folder (no store.json) and holds no part-* shards")
        folders += [os.path.abspath(p) for p in shards]
    return folders


def check(folders):
    """Reads every folder whole before anything is loaded: one model and dimension, counts that agree, finite
    non-zero vectors, a path on every line. Returns (model, dimension, rows)."""
    model = dimension = None
    total = 0
    for folder in folders:
        try:
            with open(os.path.join(folder, "store.json")) as f:
                manifest = json.load(f)
            vectors = np.load(os.path.join(folder, "vectors.npy"), mmap_mode="r")
        except (OSError, ValueError) as error:
            raise LoadError(f"{folder}: {error}")
        if model is None:
            model, dimension = manifest["model"], manifest["dimension"]
        if (manifest["model"], manifest["dimension"]) != (model, dimension):
            raise LoadError(f"{folder} holds {manifest['dimension']}-d vectors of model {manifest['model']}; "
                            f"{folders[0]} holds {dimension}-d vectors of {model}")
        if vectors.ndim != 2 or vectors.shape != (manifest["count"], dimension):
            raise LoadError(f"{folder}/vectors.npy is {vectors.shape}; store.json announces ({manifest['count']}, {dimension})")
        for start in range(0, len(vectors), 65536):
            chunk = np.asarray(vectors[start:start + 65536], dtype=np.float32)
            bad = np.flatnonzero(~np.isfinite(chunk).all(axis=1) | ~chunk.any(axis=1))
            if len(bad):
                raise LoadError(f"{folder}/vectors.npy row {start + bad[0]} is not finite or all zeros")
        lines = 0
        with open(os.path.join(folder, "records.jsonl"), encoding="utf-8") as f:
            for lines, line in enumerate(f, start=1):
                try:
                    path = json.loads(line)["path"]
                except (ValueError, KeyError, TypeError):
                    raise LoadError(f"{folder}/records.jsonl line {lines}: not a record with a path")
                if not isinstance(path, str) or not path or len(path.encode()) > KEY_BYTES:
                    raise LoadError(f"{folder}/records.jsonl line {lines}: path empty or longer than {KEY_BYTES} bytes")
        if lines != len(vectors):
            raise LoadError(f"{folder}/records.jsonl has {lines} lines; vectors.npy has {len(vectors)} rows")
        total += lines
    return model, dimension, total


def ensure_collection(client, name, model, dimension, index, rows):
    """Creates the collection, or checks that the existing one holds this model's vectors; True if created."""
    from pymilvus import DataType

    if client.has_collection(name):
        info = client.describe_collection(name)
        vector = next((f for f in info["fields"] if f["name"] == "vector"), None)
        holds = (info.get("properties") or {}).get(MODEL_PROPERTY)
        if holds != model or vector is None or vector["params"].get("dim") != dimension:
            raise LoadError(f"collection {name} holds something else (model {holds!r}); the folders hold "
                            f"{dimension}-d vectors of {model!r}: name another --collection")
        return False
    schema = client.create_schema(auto_id=False, description=f"dinosearch embeddings of {model}")
    schema.add_field("key", DataType.VARCHAR, max_length=KEY_BYTES, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("id", DataType.INT64)
    schema.add_field("size", DataType.INT64)
    schema.add_field("modified", DataType.DOUBLE)
    schema.add_field("hash", DataType.VARCHAR, max_length=64)
    schema.add_field("width", DataType.INT64)
    schema.add_field("height", DataType.INT64)
    schema.add_field("added", DataType.DOUBLE)
    params = {}
    if index == "HNSW":
        params = {"M": 16, "efConstruction": 200}
    elif index.startswith("IVF"):
        lists = 16
        while lists * lists < 16 * rows and lists < 65536:
            lists *= 2
        params = {"nlist": lists}
    index_params = client.prepare_index_params()
    index_params.add_index("vector", index_type=index, metric_type="COSINE", params=params)
    client.create_collection(name, schema=schema, index_params=index_params, properties={MODEL_PROPERTY: model})
    return True


def normalised(vector):
    vector = np.asarray(vector, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def progress_file(uri, collection, folders):
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    digest = hashlib.sha256(json.dumps([os.path.abspath(uri) if "://" not in uri else uri, collection, folders]).encode())
    return os.path.join(cache, "dinosearch", "milvus-load", digest.hexdigest()[:32] + ".json")


def read_json(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(value, f)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
