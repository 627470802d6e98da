"""pipeq.py: Pipe or Queue? Seed 003's producer/consumer in Python.

One producer sends the integers 0..N-1. Over a multiprocessing.Pipe there is
exactly one consumer (a Pipe has two ends); over a multiprocessing.Queue
there are C consumers, and the producer puts one sentinel (None) per
consumer: one sentinel would leave the others waiting forever. Each consumer
sends back the sum of what it got; the parent checks the total is
N*(N-1)/2, so no message was lost or delivered twice. The C twin is bin/pipeq
(same flags and CSV, plus the sum received; exit 1 when a sum is wrong).

    /usr/bin/python3 pipeq.py --messages 100000 --consumers 2
"""

import argparse
import multiprocessing
import os
import sys
import time
from multiprocessing import Pipe, Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
from twincommon import (add_mode, add_output_flags, chosen, csv_head,  # noqa: E402
                        csv_row, int_in, narrate)


def consume(receive, results):
    """Sum what receive() returns (a Pipe end's recv or a Queue's get) until
    the None sentinel; send the sum back."""
    total = 0
    for item in iter(receive, None):
        total += item
    results.put(total)


def run_pipe(messages):
    """Producer -> one consumer over a Pipe; (seconds, sum received)."""
    results = Queue()
    receiver, sender = Pipe(duplex=False)
    consumer = Process(target=consume, args=(receiver.recv, results))
    start = time.perf_counter()
    consumer.start()
    for i in range(messages):
        sender.send(i)
    sender.send(None)
    total = results.get()
    consumer.join()
    return time.perf_counter() - start, total


def run_queue(messages, consumers):
    """Producer -> `consumers` consumers over one Queue."""
    queue, results = Queue(), Queue()
    procs = [Process(target=consume, args=(queue.get, results))
             for _ in range(consumers)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for i in range(messages):
        queue.put(i)
    for _ in procs:
        queue.put(None)         # one sentinel per consumer
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    return time.perf_counter() - start, total


def main():
    ap = argparse.ArgumentParser(
        description="Producer/consumer over a Pipe (1 consumer) and over a "
                    "Queue (C consumers, one sentinel each); messages/s.")
    ap.add_argument("--messages", type=int_in(1, 2**40), default=100_000,
                    metavar="N", help="integers to send (default 100000)")
    ap.add_argument("--consumers", type=int_in(1, 256), default=2,
                    metavar="C", help="queue consumers (default 2)")
    add_mode(ap, ("pipe", "queue"), "pipe | queue | both (default both)")
    add_output_flags(ap, "the metrics rows")
    a = ap.parse_args()

    expected = a.messages * (a.messages - 1) // 2
    csv_head(a, "transport,consumers,messages,seconds,msgs_per_s,sum_ok,sum")
    status = 0
    for transport in chosen(a, ("pipe", "queue")):
        if transport == "pipe":
            consumers, (secs, total) = 1, run_pipe(a.messages)
        else:
            consumers = a.consumers
            secs, total = run_queue(a.messages, consumers)
        rate = a.messages / secs if secs > 0 else 0
        ok = total == expected
        if not ok:
            status = 1
        csv_row(a, f"{transport},{consumers},{a.messages},{secs:.6f},"
                   f"{rate:.0f},{int(ok)},{total}")
        narrate(a, f"pipeq.py: {transport:5} 1 producer -> {consumers} "
                   f"consumer(s), {a.messages} integers: {secs:.3f} s = "
                   f"{rate:.0f} msgs/s ({secs * 1e6 / a.messages:.2f} us "
                   f"each); sum {'correct' if ok else 'WRONG'}")
    narrate(a, f"pipeq.py: pipe = pickle + one write per message; queue = "
               f"pickle, a feeder thread and a shared lock on the read side "
               f"(start method: {multiprocessing.get_start_method()})")
    return status


if __name__ == "__main__":
    sys.exit(main())
