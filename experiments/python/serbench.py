"""serbench.py: what serialization costs in Python: the Python rows of
experiment serialization (experiments/serialization.sh; the C rows:
bin/serbench).

Codecs: pickle protocol 4, pickle protocol 5 (for the numpy array with
out-of-band buffers: the array's memory is handed over, not copied into the
pickle), msgpack (python3-msgpack) and json. Payloads: bin/serbench's flat
message, nested record and 1000 doubles (as a list), then seed 000's two
big ones: a message carrying a 1 MiB bytes payload ("1mib"; json carries it
as latin-1 text, as it cannot carry bytes) and a numpy array of 131072
float64 ("numpy", 1 MiB; json and msgpack as a list and as raw bytes).
Each point: encode and decode in a loop for at least --min-ms, median of
--repeats runs, decoded value checked against the original. pipe_rt_us is
a round trip of that many bytes through os pipes to an echo process, in the
same run (the median of 3), so round_trip_share = 2 (encode + decode) /
(2 (encode + decode) + pipe_rt) as bin/serbench defines it.

Output: CSV on stdout with bin/serbench's columns and lang=python.
"""

import argparse
import json
import os
import pickle
import statistics
import sys
import time

import msgpack
import numpy as np


def flat():
    return {"key": "k0042", "op": "DATA", "value": 57.25, "seq": 123456}


def nested():
    return {"key": "k0042", "state": "RUNNING",
            "counts": {"messages": 1234, "data_count": 1100, "invalid": 17},
            "stats": {"sum": 12345.67, "min": -49.5, "max": 149.99,
                      "last": 57.25, "feature_sum": 987.654321},
            "recent": [(i * 731 % 20000 - 5000) / 100.0 for i in range(16)]}


def payloads():
    rng = np.random.default_rng(42)
    big = rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    return {"flat": flat(), "nested": nested(),
            "array": rng.uniform(-50, 150, 1000).tolist(),
            "1mib": dict(flat(), payload=big),
            "numpy": rng.uniform(-50, 150, 131072)}


def pickle5_enc(obj):
    buffers = []
    head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    return head, [b.raw() for b in buffers]


def json_default(obj):
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(type(obj))


def msgpack_default(obj):
    if isinstance(obj, np.ndarray):
        return {"dtype": str(obj.dtype), "data": obj.tobytes()}
    raise TypeError(type(obj))


def msgpack_dec(data, numpy):
    obj = msgpack.unpackb(data)
    return np.frombuffer(obj["data"], obj["dtype"]) if numpy else obj


CODECS = {
    "pickle4": (lambda o: pickle.dumps(o, protocol=4),
                lambda d, numpy: pickle.loads(d)),
    "pickle5": (pickle5_enc,
                lambda d, numpy: pickle.loads(d[0], buffers=d[1])),
    "msgpack": (lambda o: msgpack.packb(o, default=msgpack_default),
                msgpack_dec),
    "json": (lambda o: json.dumps(o, default=json_default).encode(),
             lambda d, numpy: (np.array(json.loads(d)) if numpy
                               else json.loads(d))),
}


def size_of(data):
    if isinstance(data, tuple):         # pickle5: head + out-of-band buffers
        return len(data[0]) + sum(len(b) for b in data[1])
    return len(data)


def equal(a, b, name):
    if name == "numpy":
        return np.array_equal(a, b)
    if name == "1mib":                  # json's latin-1 text of the bytes
        b = dict(b, payload=b["payload"] if isinstance(b["payload"], bytes)
                 else b["payload"].encode("latin-1"))
    return a == b


def loop_ns(fn, arg, min_s):
    n, start = 0, time.perf_counter_ns()
    while True:
        out = fn(arg)
        n += 1
        t = time.perf_counter_ns() - start
        if t >= min_s * 1e9:
            return t / n, out


def echo(rfd, wfd):
    while True:
        head = os.read(rfd, 8)
        if len(head) < 8:
            return
        n, got = int.from_bytes(head, "little"), 0
        while got < n:
            got += len(os.read(rfd, min(1 << 16, n - got)))
        os.write(wfd, head)
        left = n
        while left:
            left -= os.write(wfd, b"x" * min(1 << 16, left))


def pipe_rt_us(down, up, nbytes, min_s):
    """Median round trip of nbytes through the echo process, in µs."""
    chunk = b"x" * min(1 << 16, nbytes)

    def once(_):
        os.write(down, nbytes.to_bytes(8, "little"))
        left = nbytes
        while left:
            left -= os.write(down, chunk[:min(len(chunk), left)])
        os.read(up, 8)
        got = 0
        while got < nbytes:
            got += len(os.read(up, min(1 << 16, nbytes - got)))
    return loop_ns(once, None, min_s)[0] / 1000


def main():
    ap = argparse.ArgumentParser(prog="serbench.py",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-ms", type=float, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    min_s = a.min_ms / 1000
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w1), os.close(r2)
        echo(r1, w2)
        os._exit(0)
    os.close(r1), os.close(w2)
    print("codec,payload,bytes,encode_ns,decode_ns,pipe_rt_us,"
          "round_trip_share,repeats,lang")
    status = 0
    for name, obj in payloads().items():
        for codec, (enc, dec) in CODECS.items():
            runs = []
            for _ in range(a.repeats):
                e, data = loop_ns(enc, obj, min_s)
                d, back = loop_ns(lambda x: dec(x, name == "numpy"), data,
                                  min_s)
                runs.append((e, d))
            if not equal(obj, back, name):
                print(f"serbench.py: {codec} {name}: decoded value differs",
                      file=sys.stderr)
                status = 1
            e = statistics.median(r[0] for r in runs)
            d = statistics.median(r[1] for r in runs)
            nbytes = size_of(data)
            # the median of 3 short runs: one late wake-up of the echo
            # process on a busy machine must not become the round trip
            p = statistics.median(pipe_rt_us(w1, r2, nbytes, min_s / 2)
                                  for _ in range(3))
            share = 2 * (e + d) / (2 * (e + d) + p * 1000)
            print(f"{codec},{name},{nbytes},{e:.1f},{d:.1f},{p:.3f},"
                  f"{share:.4f},{a.repeats},python", flush=True)
    os.close(w1)
    os.waitpid(pid, 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
