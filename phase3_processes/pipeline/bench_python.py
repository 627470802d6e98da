#!/usr/bin/env python3
"""bench_python.py: the seed's Phase 3 design in Python, for comparison with bin/phase3.

One multiprocessing.Process per worker, one mp.Queue per worker (the seed's
"each worker has its own input queue"), messages routed by a stable hash of the
key, each worker owning the state machines of its keys (SPEC section 2), a
poison pill (None) per worker at the end. Same stream as bin/phase3: read the
lines that `bin/phase3 --emit` printed.

  bench_python.py --workers 2 --work 0 --input stream.txt
      -> one line: messages=... seconds=... msgs_per_s=...
  bench_python.py --ipc --payload 100 --count 50000
      -> the per-message cost of mp.Queue alone: one producer, one consumer that
         only counts; us_per_msg = elapsed / count (put, pickling, the pipe,
         unpickling: the whole trip, throughput-wise)

--work W burns W units of lib/python/twincommon.py's work_burn, lib/fsm.c's integer mix (256
rounds per unit) in pure Python; it shows what the interpreter costs, so compare
its msgs/s with bin/phase3's at the same W knowing the unit costs far more here.
"""
import argparse
import math
import multiprocessing as mp
import os
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "lib", "python"))
from twincommon import work_burn  # noqa: E402

OPS = ("START", "DATA", "PAUSE", "RESUME", "STOP")


def feature(v):
    n = (v - 20.0) / 60.0
    return math.sqrt(abs(n)) * math.log(abs(v) + 1.0)


class StateMachine:
    __slots__ = ("state", "messages", "data_count", "invalid", "sum", "min", "max", "last", "feature_sum")

    def __init__(self):
        self.state = "IDLE"
        self.messages = self.data_count = self.invalid = 0
        self.sum = self.feature_sum = 0.0
        self.min = self.max = self.last = None

    def apply(self, op, value):
        self.messages += 1
        s = self.state
        if op == "START" and s in ("IDLE", "STOPPED"):
            self.state = "RUNNING"
        elif op == "DATA" and s == "RUNNING":
            self.data_count += 1
            self.sum += value
            self.min = value if self.min is None else min(self.min, value)
            self.max = value if self.max is None else max(self.max, value)
            self.last = value
            self.feature_sum += feature(value)
        elif op == "PAUSE" and s == "RUNNING":
            self.state = "PAUSED"
        elif op == "RESUME" and s == "PAUSED":
            self.state = "RUNNING"
        elif op == "STOP" and s in ("RUNNING", "PAUSED"):
            self.state = "STOPPED"
        else:
            self.invalid += 1


def worker_main(inq, outq, work):
    machines = {}
    n = 0
    sink = 0
    while True:
        m = inq.get()
        if m is None:
            break
        sm = machines.get(m["key"])
        if sm is None:
            sm = machines[m["key"]] = StateMachine()
        if work and m["op"] == "DATA":
            sink ^= work_burn(work, m["seq"])
        sm.apply(m["op"], m["value"])
        n += 1
    outq.put((n, len(machines), time.process_time()))


def pipeline(args):
    msgs = []
    with open(args.input) as f:
        for seq, line in enumerate(f):
            key, op, value = line.rstrip("\n").split(",")
            msgs.append({"key": key, "op": op, "value": float(value) if value else 0.0,
                         "seq": seq, "payload": b"x" * args.payload if args.payload else b""})
    outq = mp.Queue()
    queues = [mp.Queue() for _ in range(args.workers)]
    procs = [mp.Process(target=worker_main, args=(q, outq, args.work)) for q in queues]
    for p in procs:
        p.start()
    t0 = time.perf_counter()
    for m in msgs:
        queues[zlib.crc32(m["key"].encode()) % args.workers].put(m)
    for q in queues:
        q.put(None)
    done = [outq.get() for _ in procs]
    for p in procs:
        p.join()
    secs = time.perf_counter() - t0
    n = sum(d[0] for d in done)
    print(f"messages={n} seconds={secs:.4f} msgs_per_s={n / secs:.1f} workers={args.workers} "
          f"work={args.work} payload={args.payload}")


def ipc_consumer(q, outq):
    n = 0
    while q.get() is not None:
        n += 1
    outq.put(n)


def ipc(args):
    q, outq = mp.Queue(), mp.Queue()
    p = mp.Process(target=ipc_consumer, args=(q, outq))
    p.start()
    msg = {"key": "k0001", "op": "DATA", "value": 12.5, "seq": 0, "payload": b"x" * args.payload}
    t0 = time.perf_counter()
    for i in range(args.count):
        msg["seq"] = i
        q.put(msg)
    q.put(None)
    n = outq.get()
    secs = time.perf_counter() - t0
    p.join()
    print(f"messages={n} payload={args.payload} seconds={secs:.4f} us_per_msg={secs / n * 1e6:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=int, default=0)
    ap.add_argument("--payload", type=int, default=0)
    ap.add_argument("--input")
    ap.add_argument("--ipc", action="store_true")
    ap.add_argument("--count", type=int, default=50000)
    args = ap.parse_args()
    if args.ipc:
        ipc(args)
    elif args.input:
        pipeline(args)
    else:
        ap.error("--input FILE (from bin/phase3 --emit) or --ipc")


if __name__ == "__main__":
    mp.set_start_method("fork")
    sys.exit(main())
