"""startbench.py: what starting and keeping a Python worker costs: the
Python rows of experiment startup_memory (experiments/startup_memory.sh; the
C rows: bin/startbench).

For each multiprocessing start method (fork, spawn, forkserver): the median
time of Process(target=nothing).start() + join() over --iterations starts
(one warm-up start first: forkserver's server is started once, then reused),
and the memory of one idle worker: a Process blocked in conn.recv(), its
Pss, Rss and private (Private_Clean + Private_Dirty) KiB from
/proc/PID/smaps_rollup once it has said it is ready. Pss splits each shared
page between the processes that map it: a forked worker shares the parent's
pages until it writes them; a spawned one is a fresh interpreter.

Output: CSV on stdout with bin/startbench's columns and lang=python:
method,us,pss_kib,rss_kib,private_kib,pss_of,iterations,lang.
"""

import argparse
import multiprocessing as mp
import statistics
import sys
import time


def nothing():
    pass


def idle(conn):
    conn.send("ready")
    conn.recv()


def smaps(pid):
    """{Pss, Rss, private} in KiB from /proc/PID/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return (fields["Pss"], fields["Rss"],
            fields["Private_Clean"] + fields["Private_Dirty"])


def start_us(ctx, iterations):
    times = []
    for i in range(iterations + 1):
        t0 = time.perf_counter()
        p = ctx.Process(target=nothing)
        p.start()
        p.join()
        if i:                           # the first is the warm-up
            times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def idle_memory(ctx):
    parent, child = ctx.Pipe()
    p = ctx.Process(target=idle, args=(child,))
    p.start()
    parent.recv()
    mem = smaps(p.pid)
    parent.send("stop")
    p.join()
    return mem


def main():
    ap = argparse.ArgumentParser(prog="startbench.py",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", default="20,5,10",
                    help="starts for fork,spawn,forkserver (default 20,5,10)")
    a = ap.parse_args()
    counts = [int(x) for x in a.iterations.split(",")]
    print("method,us,pss_kib,rss_kib,private_kib,pss_of,iterations,lang")
    for method, n in zip(("fork", "spawn", "forkserver"), counts):
        ctx = mp.get_context(method)
        us = start_us(ctx, n)
        pss, rss, private = idle_memory(ctx)
        print(f"mp_{method},{us:.2f},{pss},{rss},{private},"
              f"idle-{method}-worker,{n},python", flush=True)
        print(f"startbench.py: {method}: start + join {us:.0f} us, idle "
              f"worker Pss {pss} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
