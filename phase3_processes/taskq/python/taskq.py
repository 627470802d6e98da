"""taskq.py: MPOP's question in Python: hand out tasks statically or
dynamically? (The C twin: bin/taskq, which adds the shared-memory ring.)

  static   the task ids are cut into N equal ranges up front; each worker
           process makes and runs its range, no coordination at all
  dynamic  one multiprocessing.Queue of tasks; each worker takes the next
           task when it is free (Pool.map with chunksize 1, MPOP's "dynamic
           scheduling"), a sentinel per worker at the end

Either way each worker sends back, once, the ids it ran and the sum of their
results; the parent checks that every task ran exactly once (exit 1 if not)
and prints the sum (mod 2**64), which a test can compute on its own. The
clock runs from "workers started and waiting" to "last result in".

Handlers (--fn, --args A): empty returns the task id; sumsq (A + i)**2;
prime is_prime(A + i); spin burns A --work units (lib/fsm.c's unit: 256
rounds of its integer mix, here in Python, ~100x a C unit) and returns the
mix.

    /usr/bin/python3 taskq.py --scheme dynamic --tasks 2000 --fn spin --args 1
"""

import argparse
import os
import sys
import time
from multiprocessing import Barrier, Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
from twincommon import (M64, add_output_flags, csv_head, csv_row,  # noqa: E402
                        int_in, is_prime, narrate, work_burn)


HANDLERS = {
    "empty": lambda i, a: i,
    "sumsq": lambda i, a: (a + i) * (a + i),
    "prime": lambda i, a: int(is_prime(a + i)),
    "spin": lambda i, a: work_burn(a, i),
}


def static_worker(first, last, fn, arg, gate, results):
    run = HANDLERS[fn]
    gate.wait()
    total = 0
    for i in range(first, last):
        total += run(i, arg)
    results.put((list(range(first, last)), total & M64))


def dynamic_worker(tasks, fn, arg, gate, results):
    run = HANDLERS[fn]
    gate.wait()
    done, total = [], 0
    while True:
        i = tasks.get()
        if i is None:
            break
        done.append(i)
        total += run(i, arg)
    results.put((done, total & M64))


def run_tasks(scheme, n, workers, fn, arg):
    """(seconds, times each task ran, sum of results mod 2**64)."""
    gate, results, tasks = Barrier(workers + 1), Queue(), Queue()
    if scheme == "static":
        procs = [Process(target=static_worker,
                         args=(w * n // workers, (w + 1) * n // workers,
                               fn, arg, gate, results))
                 for w in range(workers)]
    else:
        procs = [Process(target=dynamic_worker,
                         args=(tasks, fn, arg, gate, results))
                 for _ in range(workers)]
    for p in procs:
        p.start()
    gate.wait()
    start = time.perf_counter()
    if scheme == "dynamic":
        for i in range(n):
            tasks.put(i)
        for _ in procs:
            tasks.put(None)
    ran, total = [0] * n, 0
    for _ in procs:
        ids, part = results.get()
        for i in ids:
            ran[i] += 1
        total += part
    secs = time.perf_counter() - start
    for p in procs:
        p.join()
    return secs, ran, total & M64


def main():
    ap = argparse.ArgumentParser(
        description="Static split vs a dynamic queue of tasks over worker "
                    "processes; every task checked to run exactly once.")
    ap.add_argument("--scheme", choices=("static", "dynamic"),
                    default="dynamic", help="static | dynamic")
    ap.add_argument("--tasks", type=int_in(1, 10**8), default=10_000,
                    metavar="N", help="tasks to run (default 10000)")
    ap.add_argument("--workers", type=int_in(1, 256), default=2,
                    metavar="N", help="worker processes (default 2)")
    ap.add_argument("--fn", choices=sorted(HANDLERS), default="empty",
                    help="the handler every task runs (default empty)")
    ap.add_argument("--args", type=int_in(0, 2**31), default=0, metavar="A",
                    help="the handler's integer argument (default 0)")
    add_output_flags(ap)
    a = ap.parse_args()

    secs, ran, total = run_tasks(a.scheme, a.tasks, a.workers, a.fn, a.args)
    once = all(r == 1 for r in ran)
    rate = a.tasks / secs if secs > 0 else 0
    csv_head(a, "scheme,tasks,workers,fn,seconds,tasks_per_s,exactly_once,"
                "result_sum")
    csv_row(a, f"{a.scheme},{a.tasks},{a.workers},{a.fn},{secs:.6f},"
               f"{rate:.0f},{int(once)},{total}")
    narrate(a, f"taskq.py: {a.scheme} scheme, {a.workers} workers, {a.tasks} "
               f"'{a.fn}' tasks in {secs:.6f} s = {rate:.0f} tasks/s; "
               f"result sum {total}")
    never = ran.count(0)
    narrate(a, f"taskq.py: {a.scheme}: {ran.count(1)} of {a.tasks} tasks ran "
               f"exactly once, {never} never, {a.tasks - never - ran.count(1)}"
               " more than once")
    return 0 if once else 1


if __name__ == "__main__":
    sys.exit(main())
