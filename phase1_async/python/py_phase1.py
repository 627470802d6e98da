#!/usr/bin/env python3
"""py_phase1: Phase 1 in Python, one asyncio event loop on uvloop.

The twin of bin/phase1: one thread, one loop (uvloop is libuv, the loop under
bin/phase1), the stream applied in order to one dict of per-key machines, and
a heartbeat: a coroutine that asks to wake every --heartbeat-ms and records
how late it woke. That lateness is the loop lag of Lecture 36's slide 2.

--work W with --offload none runs the work on the loop: while one message's
work runs, nothing else does, and the heartbeat's lag grows by that much.
--offload threads hands it to a ThreadPoolExecutor with run_in_executor and
awaits it (so a key's messages stay in order); the loop runs meanwhile, but
only when the worker thread lets go of the GIL (every 5 ms, the interpreter's
switch interval), so the lag shrinks to about that, and the throughput does
not grow: the course's reason for processes (py_phase3).

This twin answers no queries (no --control): py_phase3 does.
"""
import asyncio
import concurrent.futures
import os
import stat
import sys
import time

import uvloop

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "lib", "python"))
import kitcli  # noqa: E402
import kitspec  # noqa: E402

BATCH = 64          # messages taken from the input per loop turn when unpaced


async def heartbeat(period, lags, stop):
    """Sleep period seconds, again and again; record each wake-up's lateness."""
    while not stop.is_set():
        due = time.perf_counter() + period      # uvloop's own clock is in whole ms
        await asyncio.sleep(period)
        lags.append(max(0.0, time.perf_counter() - due))


def blocks(stream):
    """True if reading stream may wait (stdin as a pipe or a terminal): such a
    stream is read off the loop, in the default executor."""
    return stream.name == "-" and not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)


async def pipeline(a, stream, registry, pool):
    """Apply every message in order; pace to --rate; yield to the loop between
    batches (every message when paced) so the heartbeat can run."""
    loop = asyncio.get_running_loop()
    waits = blocks(stream)
    t0, n = time.perf_counter(), 0
    while True:
        size = 1 if a.rate else BATCH
        batch = (await loop.run_in_executor(None, stream.batch, size) if waits
                 else stream.batch(size))
        if not batch:
            return
        for key, op, value, seq, _ in batch:
            if a.work and op == "DATA":
                if pool:
                    await loop.run_in_executor(pool, kitspec.work_burn, a.work, seq)
                else:
                    kitspec.work_burn(a.work, seq)     # the loop is frozen meanwhile
            ks = registry.get(key)
            if ks is None:
                ks = registry[key] = kitspec.KeyState(key)
            ks.apply(op, value)
            n += 1
        ahead = t0 + n / a.rate - time.perf_counter() if a.rate else 0.0
        await asyncio.sleep(max(0.0, ahead))


async def run(a, stream, registry):
    pool = (concurrent.futures.ThreadPoolExecutor(max_workers=a.pool)
            if a.offload == "threads" else None)
    lags, stop = [], asyncio.Event()
    beating = asyncio.create_task(heartbeat(a.heartbeat_ms / 1000.0, lags, stop))
    try:
        await pipeline(a, stream, registry, pool)
    finally:
        stop.set()
        await beating
        if pool:
            pool.shutdown()
    return lags


def main():
    p = kitcli.parser("py_phase1", __doc__.split("\n\n")[0])
    p.add_argument("--rate", type=kitcli.count(10**9), metavar="N",
                   help="pace the stream at N messages/s (default: as fast as possible)")
    p.add_argument("--offload", choices=("none", "threads"), default="none",
                   help="where DATA's --work runs: on the loop (default) or in a "
                   "ThreadPoolExecutor through run_in_executor")
    p.add_argument("--pool", type=kitcli.count(kitspec.WORKERS_MAX), default=1, metavar="N",
                   help="threads of the executor for --offload threads (default 1)")
    p.add_argument("--heartbeat-ms", type=kitcli.count(10**6), default=1, metavar="MS",
                   help="heartbeat period (default 1)")
    a = p.parse_args()
    status = kitcli.common_modes(a)
    if status is not None:
        return status

    stream, registry = kitcli.open_stream(a), {}
    uvloop.install()
    t0 = time.perf_counter()
    lags = asyncio.run(run(a, stream, registry))
    seconds = time.perf_counter() - t0

    lags.sort()

    def ms(q):
        return "%.4f" % (lags[min(len(lags) - 1, int(q * len(lags)))] * 1e3) if lags else ""
    rows = [ks.row() for ks in registry.values()]
    return kitcli.finish(a, "py_phase1", stream, rows, seconds,
                         "one asyncio loop on uvloop, work %s" % (
                             "on the loop" if a.offload == "none"
                             else "offloaded to %d thread(s)" % a.pool),
                         [("offload", a.offload), ("pool", a.pool if a.offload == "threads" else 0),
                          ("rate", a.rate or 0), ("lag_p50_ms", ms(0.5)), ("lag_p99_ms", ms(0.99)),
                          ("lag_max_ms", ms(1.0)), ("heartbeats", len(lags))])


if __name__ == "__main__":
    sys.exit(main())
