"""Writes the .npy fixtures of Tests/DinoSearchTests/Fixtures/npy with numpy itself, so dinosearch's reader is
checked against the format as numpy writes it. Every matrix is M[i, j] = (i * columns + j) / 8 - 1, exact in float16,
float32 and float64.

usage: python scripts/reference/make_npy_fixtures.py Tests/DinoSearchTests/Fixtures/npy
"""
import os
import sys

import numpy as np


def matrix(rows, columns, dtype):
    return (np.arange(rows * columns).reshape(rows, columns) / 8 - 1).astype(dtype)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "f16.npy"), matrix(3, 5, np.float16))
    np.save(os.path.join(out, "f32.npy"), matrix(3, 5, np.float32))
    np.save(os.path.join(out, "f64.npy"), matrix(3, 5, np.float64))
    np.save(os.path.join(out, "empty.npy"), matrix(0, 5, np.float32))
    # Refused, each for its own reason:
    np.save(os.path.join(out, "fortran.npy"), np.asfortranarray(matrix(3, 5, np.float32)))
    np.save(os.path.join(out, "int32.npy"), np.arange(15, dtype=np.int32).reshape(3, 5))
    np.save(os.path.join(out, "big-endian.npy"), matrix(3, 5, ">f4"))
    np.save(os.path.join(out, "three-d.npy"), matrix(3, 5, np.float32).reshape(3, 5, 1))
    np.save(os.path.join(out, "vector.npy"), matrix(1, 5, np.float32).reshape(5))
    with open(os.path.join(out, "f32.npy"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.npy"), "wb") as f:
        f.write(data[:-3])
    # A version 2.0 header (numpy writes one when asked, or for headers over 64 KiB).
    with open(os.path.join(out, "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, matrix(3, 5, np.float32), version=(2, 0))


if __name__ == "__main__":
    main()
