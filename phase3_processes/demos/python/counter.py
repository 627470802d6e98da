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
from twincommon import (add_mode, add_output_flags, chosen, csv_head,  # noqa: E402
                        csv_row, int_in, narrate)


def add_unlocked(counter, increments, gate):
    gate.wait()
    for _ in range(increments):
        counter.value += 1


def add_locked(counter, increments, gate):
    gate.wait()
    for _ in range(increments):
        with counter.get_lock():
            counter.value += 1


TARGETS = {"unlocked": add_unlocked, "locked": add_locked}


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
        description="N processes increment one shared Value, without and "
                    "with its lock.")
    ap.add_argument("--procs", type=int_in(1, 256), default=4, metavar="N",
                    help="processes incrementing (default 4)")
    ap.add_argument("--increments", type=int_in(1, 2**40), default=100_000,
                    metavar="M", help="increments per process "
                    "(default 100000)")
    add_mode(ap, TARGETS, "unlocked | locked | both")
    add_output_flags(ap, "the metrics rows")
    a = ap.parse_args()

    expected = a.procs * a.increments
    csv_head(a, "mode,procs,increments,expected,got,lost,seconds")
    status = 0
    for mode in chosen(a, TARGETS):
        try:
            secs, got = run(TARGETS[mode], a.procs, a.increments)
        except (OSError, RuntimeError) as e:
            print(f"counter.py: {e}", file=sys.stderr)
            return 1
        lost = expected - got
        if mode == "locked" and lost != 0:
            status = 1          # the locked total must be exact
        csv_row(a, f"{mode},{a.procs},{a.increments},{expected},{got},"
                   f"{lost},{secs:.6f}")
        narrate(a, f"counter.py: {mode:8} {a.procs} processes x "
                   f"{a.increments} increments: expected {expected}, got "
                   f"{got} ({lost} lost, {100 * lost / expected:.2f}%) in "
                   f"{secs:.3f} s")
        if mode == "unlocked" and lost == 0:
            narrate(a, "counter.py: no update was lost this time: the "
                       "processes did not overlap enough (one core, or too "
                       "few increments); the race is still there")
    return status


if __name__ == "__main__":
    sys.exit(main())
