"""clean_order.py: seed 003's "Using more processes" comparison in Python.

Each order is the seed's busy loop (`for _ in range(N): pass`); 1 or 2 orders
run as threads of this process or as multiprocessing.Process children. The
GIL lets one thread run bytecode at a time, so 2 threads take about twice as
long as 1; 2 processes (one interpreter and one GIL each) take about as long
as 1 when there are 2 free cores. The C twin is bin/clean_order (same flags).

    /usr/bin/python3 clean_order.py --threads 2 --iterations 20000000
    /usr/bin/python3 clean_order.py --processes 2 --iterations 20000000
"""

import argparse
import os
import sys
import threading
import time
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
from twincommon import (add_output_flags, csv_head, csv_row,  # noqa: E402
                        int_in, narrate)


def clean_order(iterations):
    for _ in range(iterations):
        pass


def run_orders(kind, orders, iterations):
    """Start `orders` threads or processes, each running the whole loop."""
    make = threading.Thread if kind == "threads" else Process
    workers = [make(target=clean_order, args=(iterations,))
               for _ in range(orders)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if kind == "processes" and any(w.exitcode != 0 for w in workers):
        raise RuntimeError("an order's process failed")


def main():
    ap = argparse.ArgumentParser(
        description="Busy loop of N iterations run as 1 or 2 threads, "
                    "or as 1 or 2 processes (each runs all N).")
    ap.add_argument("--iterations", type=int_in(1, 2**62), default=50_000_000,
                    metavar="N", help="loop iterations per order "
                    "(default 50000000, about 1 s here; the seed used 5e8)")
    ap.add_argument("--threads", type=int_in(1, 2), metavar="T",
                    help="run T orders (1 or 2) as threads of this process")
    ap.add_argument("--processes", type=int_in(1, 2), metavar="P",
                    help="run P orders (1 or 2) as processes")
    add_output_flags(ap)
    a = ap.parse_args()
    if (a.threads is None) == (a.processes is None):
        ap.error("give exactly one of --threads or --processes")
    kind = "threads" if a.threads else "processes"
    orders = a.threads or a.processes

    t0, cpu0 = time.perf_counter(), os.times()
    try:
        run_orders(kind, orders, a.iterations)
    except (OSError, RuntimeError) as e:
        print(f"clean_order.py: {e}", file=sys.stderr)
        return 1
    secs = time.perf_counter() - t0
    t1 = os.times()
    # os.times() counts this process and its reaped children: threads and
    # processes alike.
    cpu = (t1.user + t1.system + t1.children_user + t1.children_system
           - cpu0.user - cpu0.system - cpu0.children_user
           - cpu0.children_system)

    csv_head(a, "mode,orders,iterations,seconds,cpu_s")
    csv_row(a, f"{kind},{orders},{a.iterations},{secs:.6f},{cpu:.6f}")
    cores = cpu / secs if secs > 0 else 0
    narrate(a, f"clean_order.py: {orders} order(s) of {a.iterations} "
               f"iterations as {kind}: {secs:.3f} s wall, {cpu:.3f} s CPU "
               f"({cores:.2f} cores on average)")
    if kind == "processes" and secs >= 0.01 and cores < 0.9 * orders:
        narrate(a, f"clean_order.py: the {orders} order(s) did not have a "
                   "core each: another job was running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
