"""counter.py: a shared multiprocessing.Value without and with its lock.

N processes add 1 to one shared integer M times each. `counter.value += 1`
is a read, an add and a write: two processes can read the same value and
one update is lost. Holding the Value's own lock around it
(`with counter.get_lock():`) makes the total exact, and slower. The
processes wait at a Barrier so they start together. The C twin is
bin/counter (same flags, same CSV, exit 1 if the locked total is wrong; a
lost update without the lock is reported, never an error).

    /usr/bin/python3 counter.py --procs 2 --increments 100000
"""

import argparse
import os
import sys
import time
from multiprocessing import Barrier, Process, Value

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
from twincommon import csv_meta, int_in  # noqa: E402


def add_unlocked(counter, increments, gate):
    gate.wait()
    for _ in range(increments):
        counter.value += 1


def add_locked(counter, increments, gate):
    gate.wait()
    for _ in range(increments):
        with counter.get_lock():
            counter.value += 1


def run(target, procs, increments):
    """(seconds, final value) of `procs` processes running `target`."""
    counter = Value("q", 0)     # a 64-bit int in shared memory, with a lock
    gate = Barrier(procs + 1)
    workers = [Process(target=target, args=(counter, increments, gate))
               for _ in range(procs)]
    for w in workers:
        w.start()
    gate.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    secs = time.perf_counter() - start
    if any(w.exitcode != 0 for w in workers):
        raise RuntimeError("a counting process failed")
    return secs, counter.value


def main():
    ap = argparse.ArgumentParser(
        prog="counter.py",
        description="N processes increment one shared Value, without and "
                    "with its lock.")
    ap.add_argument("--procs", type=int_in(1, 256), default=4, metavar="N",
                    help="processes incrementing (default 4)")
    ap.add_argument("--increments", type=int_in(1, 2**40), default=100_000,
                    metavar="M", help="increments per process "
                    "(default 100000)")
    ap.add_argument("--mode", choices=("unlocked", "locked", "both"),
                    default="both", help="unlocked | locked | both")
    ap.add_argument("--csv", action="store_true",
                    help="print the metrics rows (with metadata and header)")
    ap.add_argument("--quiet", action="store_true",
                    help="no narrated summary on stderr")
    a = ap.parse_args()

    expected = a.procs * a.increments
    if a.csv:
        csv_meta()
        print("mode,procs,increments,expected,got,lost,seconds")
    status = 0
    for mode, target in (("unlocked", add_unlocked), ("locked", add_locked)):
        if a.mode not in (mode, "both"):
            continue
        try:
            secs, got = run(target, a.procs, a.increments)
        except (OSError, RuntimeError) as e:
            print(f"counter.py: {e}", file=sys.stderr)
            return 1
        lost = expected - got
        if mode == "locked" and lost != 0:
            status = 1          # the locked total must be exact
        if a.csv:
            print(f"{mode},{a.procs},{a.increments},{expected},{got},"
                  f"{lost},{secs:.6f}")
        if not a.quiet:
            print(f"counter.py: {mode:8} {a.procs} processes x "
                  f"{a.increments} increments: expected {expected}, got "
                  f"{got} ({lost} lost, {100 * lost / expected:.2f}%) in "
                  f"{secs:.3f} s", file=sys.stderr)
            if mode == "unlocked" and lost == 0:
                print("counter.py: no update was lost this time: the "
                      "processes did not overlap enough (one core, or too "
                      "few increments); the race is still there",
                      file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
