"""batchpool.py: Lecture 36's batch pool in Python (the C twin: bin/batchpool).

An asyncio loop cuts the sensor records into batches of B and hands each
batch to a ProcessPoolExecutor with loop.run_in_executor (slide 5); the
worker runs process_record_batch (slide 9, without its rounding, so the
results compare bit for bit with C's) and the results come back, in order,
through asyncio.gather. Every call pickles a batch of dicts, sends it down a
pipe, and pickles the results back: a fixed cost per call that a batch of B
records shares (slides 6-7). --sequential runs the same batches in this
process, the floor the pool approaches.

The records are bin/batchpool's (the same seeded xoshiro256** stream), so
the checksum (FNV-1a of each result's id, normalized and feature bits) and
the --emit rows equal the C program's for the same --records and --seed.

--work W adds W units of CPU work per record: one unit is lib/fsm.c's
WORK_ROUNDS (256) rounds of an integer mix, the C kit's --work unit, written
in Python; --calibrate prints what a unit costs here (bin/workcal prints C's).

    /usr/bin/python3 batchpool.py --records 20000 --batch 20 --workers 2
    /usr/bin/python3 batchpool.py --records 20000 --batch 20 --sequential
"""

import argparse
import asyncio
import math
import os
import struct
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
from twincommon import (M64, add_output_flags, csv_head, csv_row,  # noqa: E402
                        int_in, narrate, work_burn, work_unit_us)

FNV_OFFSET, FNV_PRIME = 1469598103934665603, 1099511628211


def splitmix64(x):
    """(next state, output) of lib/source.c's seeding generator."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def sensor_records(count, seed):
    """bin/batchpool's records: value = -10 + 120 * (xoshiro256** unit)."""
    s, x = [], seed
    for _ in range(4):
        x, z = splitmix64(x)
        s.append(z)

    def rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & M64

    records = []
    for i in range(count):
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        unit = (out >> 11) * 2.0**-53          # lib/source.c's rng_unit
        records.append({"id": i, "value": -10.0 + 120.0 * unit})
    return records


def process_record_batch(records, work=0):
    results = []
    for record in records:
        value = record["value"]
        normalized = (value - 20.0) / 60.0
        feature = math.sqrt(abs(normalized)) * math.log(abs(value) + 1)
        if work:
            work_burn(work, record["id"])
        results.append({**record, "normalized": normalized,
                        "feature": feature})
    return results


async def run_pool(batches, workers, work):
    """Every batch through the pool; results in batch order."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # Start every worker before the clock: the cost measured is the
        # calls', not the interpreters' start-up (startup_memory has that).
        await asyncio.gather(*[loop.run_in_executor(pool, process_record_batch,
                                                    [])
                               for _ in range(workers)])
        start = time.perf_counter()
        processed = await asyncio.gather(*[
            loop.run_in_executor(pool, process_record_batch, batch, work)
            for batch in batches])
        return time.perf_counter() - start, processed


def checksum(batches):
    h = FNV_OFFSET
    for batch in batches:
        for r in batch:
            for b in struct.pack("<Qdd", r["id"], r["normalized"],
                                 r["feature"]):
                h = ((h ^ b) * FNV_PRIME) & M64
    return h


def parse_args():
    ap = argparse.ArgumentParser(
        description="Lecture 36's batch pool: asyncio + ProcessPoolExecutor "
                    "(run_in_executor), batches of B records per call.")
    ap.add_argument("--records", type=int_in(1, 10**8), default=100_000,
                    metavar="N", help="sensor records (default 100000)")
    ap.add_argument("--batch", type=int_in(1, 100_000), default=20,
                    metavar="B", help="records per pool call (default 20)")
    ap.add_argument("--workers", type=int_in(1, 256), default=2, metavar="N",
                    help="worker processes (default 2)")
    ap.add_argument("--seed", type=int_in(0, M64), default=1, metavar="S",
                    help="sensor seed (default 1)")
    ap.add_argument("--work", type=int_in(0, 10**6), default=0, metavar="W",
                    help="CPU work units per record (default 0; see "
                    "--calibrate)")
    ap.add_argument("--sequential", action="store_true",
                    help="no pool: the same batches in this process")
    ap.add_argument("--calibrate", action="store_true",
                    help="print what one --work unit costs here and exit")
    ap.add_argument("--emit", action="store_true",
                    help="print every result (id,value,normalized,feature)")
    add_output_flags(ap)
    return ap.parse_args()


def report(a, secs, calls, h):
    per_us = secs * 1e6 / a.records
    mode = "sequential" if a.sequential else "pool"
    csv_head(a, "batch,records,seconds,per_record_us,workers,mode,calls,"
                "checksum,work")
    csv_row(a, f"{a.batch},{a.records},{secs:.6f},{per_us:.4f},"
               f"{0 if a.sequential else a.workers},{mode},{calls},"
               f"{h:016x},{a.work}")
    narrate(a, f"batchpool.py: {mode}: {a.records} records in {calls} batches"
               f" of {a.batch} (--work {a.work}): {secs:.6f} s = "
               f"{per_us:.3f} us per record; {secs * 1e6 / calls:.1f} us per "
               f"call; checksum {h:016x}")


def main():
    a = parse_args()
    if a.calibrate:
        print(f"one --work unit = {work_unit_us():.2f} us (median of 5 runs "
              f"of 200 units, Python {sys.version.split()[0]})")
        return 0
    records = sensor_records(a.records, a.seed)
    batches = [records[i:i + a.batch]
               for i in range(0, len(records), a.batch)]
    if a.sequential:
        start = time.perf_counter()
        processed = [process_record_batch(b, a.work) for b in batches]
        secs = time.perf_counter() - start
    else:
        try:
            secs, processed = asyncio.run(run_pool(batches, a.workers,
                                                   a.work))
        except Exception as e:  # a broken pool: say so, exit 1
            print(f"batchpool.py: the pool failed: {e!r}", file=sys.stderr)
            return 1
    if sum(len(b) for b in processed) != a.records:
        print("batchpool.py: results lost", file=sys.stderr)
        return 1
    if a.emit:
        for batch in processed:
            for r in batch:
                print("%d,%.17g,%.17g,%.17g" % (r["id"], r["value"],
                                                r["normalized"],
                                                r["feature"]))
    report(a, secs, len(batches), checksum(processed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
