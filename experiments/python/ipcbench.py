"""ipcbench.py: what one message costs between two Python processes, by
size, over multiprocessing.Pipe and multiprocessing.Queue: the Python rows of
experiment ipc_size (experiments/ipc_size.sh; the C rows: bin/ipcbench).

A message is a bytes object of the given size, sent the course's way
(conn.send / queue.put: pickled, then written to a pipe; the Queue's feeder
thread does the write). Round trip: the parent sends one message and waits
for an equal-sized reply, repeated for at least --min-ms. One way: the
parent sends messages back to back (twice as many as the round trips that
fitted in --min-ms, at most 64 MiB) and the child acknowledges the last.
pinned 1: parent and child on CPU 0 (sched_setaffinity, inherited by the
child); 0: default scheduling. Each point is the median of --repeats runs.

Output: CSV on stdout with bin/ipcbench's columns and lang=python:
transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s,rt_ops,ow_ops,
repeats,lang.
"""

import argparse
import os
import statistics
import sys
import time
from multiprocessing import Pipe, Process, Queue


class PipeEnds:
    """The two ends of a duplex multiprocessing.Pipe, as send/recv pairs."""

    def __init__(self):
        self.parent, self.child = Pipe()

    def parent_side(self):
        return self.parent.send, self.parent.recv

    def child_side(self):
        return self.child.send, self.child.recv


class QueueEnds:
    """Two multiprocessing.Queues, one each way."""

    def __init__(self):
        self.down, self.up = Queue(), Queue()

    def parent_side(self):
        return self.down.put, self.up.get

    def child_side(self):
        return self.up.put, self.down.get


TRANSPORTS = {"mp-pipe": PipeEnds, "mp-queue": QueueEnds}


def echo(ends):
    """The child: reply to every message with itself; None ends it. A
    message starting with b"S" is a stream: acknowledge only its last."""
    send, recv = ends.child_side()
    while True:
        m = recv()
        if m is None:
            return
        if m[:1] == b"S":
            if m[1:2] == b"L":
                send(b"A")
        else:
            send(m)


def measure(transport, size, pinned, min_s):
    """(round-trip µs, one-way µs, rt ops, ow ops) for one run."""
    ends = TRANSPORTS[transport]()
    saved = os.sched_getaffinity(0)
    if pinned:
        os.sched_setaffinity(0, {min(saved)})
    child = Process(target=echo, args=(ends,))
    child.start()
    send, recv = ends.parent_side()
    msg = b"R" * size
    send(msg), recv()                           # warm up
    rt_ops, start = 0, time.perf_counter()
    while True:
        send(msg)
        recv()
        rt_ops += 1
        rt = time.perf_counter() - start
        if rt >= min_s:
            break
    # A Queue's put() returns at once (its feeder thread writes later), so a
    # stream is a fixed count, timed to the child's acknowledgement of the
    # last: twice the round trips that fitted in min_s, at most 64 MiB.
    count = max(4, min(2 * rt_ops, (64 << 20) // size))
    stream, last = b"S-" + b"x" * max(0, size - 2), b"SL" + b"x" * (size - 2)
    start = time.perf_counter()
    for _ in range(count - 1):
        send(stream)
    send(last)
    recv()
    ow = time.perf_counter() - start
    send(None)
    child.join()
    os.sched_setaffinity(0, saved)
    return rt * 1e6 / rt_ops, ow * 1e6 / count, rt_ops, count


def main():
    ap = argparse.ArgumentParser(prog="ipcbench.py",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1024,10240,102400,1048576")
    ap.add_argument("--transports", default="mp-pipe,mp-queue")
    ap.add_argument("--min-ms", type=float, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    print("transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s,"
          "rt_ops,ow_ops,repeats,lang")
    for transport in a.transports.split(","):
        for pinned in (1, 0):
            for size in sizes:
                runs = [measure(transport, size, pinned, a.min_ms / 1000)
                        for _ in range(a.repeats)]
                rt = statistics.median(r[0] for r in runs)
                ow = statistics.median(r[1] for r in runs)
                print(f"{transport},{size},{pinned},{rt:.4f},{ow:.4f},"
                      f"{size / ow:.2f},{runs[0][2]},{runs[0][3]},"
                      f"{a.repeats},python", flush=True)
                print(f"ipcbench.py: {transport} {size} B pinned={pinned}: "
                      f"round trip {rt:.1f} us", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
