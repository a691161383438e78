"""Search a Milvus collection filled by load.py: images embedded by dinosearch, or rows of a .npy file.

    python examples/milvus/search.py --uri URI --collection NAME [-k 10] [--json] \
        (--dinosearch BIN [--model MODEL] IMAGE... | --vectors QUERIES.npy)

Prints rank, cosine score and key (the photo's path), as `dinosearch query` does; --json gives
[{"query", "results": [{"rank", "score", "path", "id"}]}], the same shape as `dinosearch query --json`.
"""

import argparse
import json
import subprocess
import sys

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="*", help="query images, embedded with `dinosearch embed --json`")
    parser.add_argument("--uri", required=True)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--token", default="", help="Milvus credentials")
    parser.add_argument("--vectors", help="an N×D .npy file of query vectors instead of images")
    parser.add_argument("--dinosearch", default="dinosearch", help="the dinosearch binary (for images)")
    parser.add_argument("--model", help="the DINOv2 checkpoint (for images; else dinosearch's default)")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--ef", type=int, default=128, help="HNSW: candidates explored (at least k)")
    parser.add_argument("--nprobe", type=int, default=32, help="IVF: lists visited")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.images) == bool(args.vectors):
        parser.error("name query images or --vectors, not both")

    if args.vectors:
        queries = np.load(args.vectors)
        names = [f"{args.vectors}:{row}" for row in range(len(queries))]
    else:
        command = [args.dinosearch, "embed", "--json", *args.images] + (["--model", args.model] if args.model else [])
        rows = json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE).stdout)
        queries = np.array([row["embedding"] for row in rows], dtype=np.float32)
        names = [row["path"] for row in rows]

    from pymilvus import MilvusClient

    client = MilvusClient(uri=args.uri, token=args.token)
    client.load_collection(args.collection)
    answers = search(client, args.collection, queries, args.k, ef=args.ef, nprobe=args.nprobe)
    results = [{"query": name, "results": [{"rank": rank, "score": score, "path": key, "id": image_id}
                                           for rank, (key, score, image_id) in enumerate(hits, start=1)]}
               for name, hits in zip(names, answers)]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(result["query"])
            for hit in result["results"]:
                print(f"{hit['rank']:4d}  {hit['score']:.4f}  {hit['path']}")
    return 0


def search(client, collection, queries, k, ef=128, nprobe=32, batch=100):
    """[(key, cosine, dinosearch id)] best first, k per query row."""
    answers = []
    params = {"metric_type": "COSINE", "params": {"ef": max(ef, k), "nprobe": nprobe}}
    for start in range(0, len(queries), batch):
        data = np.asarray(queries[start:start + batch], dtype=np.float32).tolist()
        found = client.search(collection, data=data, limit=k, anns_field="vector", search_params=params,
                              output_fields=["id"])
        answers += [[(hit["key"] if "key" in hit else hit["entity"]["key"], hit["distance"], hit["entity"]["id"])
                     for hit in hits] for hits in found]
    return answers


if __name__ == "__main__":
    sys.exit(main())
