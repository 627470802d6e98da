#!/usr/bin/env python3
"""py_phase2: Phase 2 in Python, a threading pool over one dict.

The twin of bin/phase2. The main thread reads the stream and hands each
message to the thread that owns its key (crc32(key) % N, one queue.Queue per
thread), so a key's messages are applied in order and the dump equals
bin/reference's. All threads share one dict of per-key machines.

The lesson is the GIL. --work runs pure Python bytecode, and only the thread
that holds the interpreter's lock runs bytecode: N threads take turns, so the
run is no faster than one thread, on any number of cores. bin/phase2 --lock
global builds the same lock by hand in C; --lock sharded shows what C threads
do without it (experiments/scaling.sh puts the two side by side).

This twin answers no queries (no --control): py_phase3 does.
"""
import os
import queue
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "lib", "python"))
import kitcli  # noqa: E402
import kitspec  # noqa: E402


def worker(inbox, registry, work):
    """Apply the messages of this thread's keys until the None pill."""
    sink = 0
    while True:
        msg = inbox.get()
        if msg is None:
            return sink
        key, op, value, seq, _ = msg
        if work and op == "DATA":
            # Pure bytecode: the GIL is held all through, the other threads wait.
            sink ^= kitspec.work_burn(work, seq)
        ks = registry.get(key)
        if ks is None:
            # No lock of our own: only this thread ever adds this key, and the
            # GIL makes each dict operation atomic.
            ks = registry.setdefault(key, kitspec.KeyState(key))
        ks.apply(op, value)


def main():
    p = kitcli.parser("py_phase2", __doc__.split("\n\n")[0])
    p.add_argument("--threads", type=kitcli.count(kitspec.WORKERS_MAX), default=4,
                   metavar="N", help="worker threads, 1..256 (default 4)")
    a = p.parse_args()
    status = kitcli.common_modes(a)
    if status is not None:
        return status

    stream = kitcli.open_stream(a)
    registry = {}
    inboxes = [queue.Queue(maxsize=kitspec.QUEUE_DEPTH) for _ in range(a.threads)]
    threads = [threading.Thread(target=worker, args=(q, registry, a.work),
                                name="worker-%d" % i)
               for i, q in enumerate(inboxes)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for msg in stream:
        inboxes[zlib.crc32(msg[0].encode()) % a.threads].put(msg)
    for q in inboxes:
        q.put(None)
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0

    rows = [ks.row() for ks in registry.values()]
    return kitcli.finish(a, "py_phase2", stream, rows, seconds,
                         "%d threads" % a.threads, [("threads", a.threads)])


if __name__ == "__main__":
    sys.exit(main())
