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

With --control PATH it answers GET, STATS and SHUTDOWN (SPEC 5) on the same
loop: a query is served between two messages, so it waits for the work of
the one in hand.
"""
import asyncio
import concurrent.futures
import os
import signal
import stat
import sys
import threading
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


class Pipeline:
    """The loop's state: one dict of machines and what STATS reports."""

    def __init__(self, a, stream):
        self.a, self.stream, self.registry = a, stream, {}
        self.applied = self.queries = 0
        self.stopping = False
        self.inbox = None       # messages from the reader thread, if stdin may wait
        self.room = threading.Semaphore(kitspec.QUEUE_DEPTH)
        self.ended = False      # the reader's None came

    def reader(self, loop):
        """The reader thread, for stdin as a pipe or a terminal (a read may
        wait there, and the loop must not): each message into the inbox as
        soon as it is read, at most QUEUE_DEPTH ahead of the loop; None at
        the end."""
        try:
            for msg in self.stream:
                self.room.acquire()
                loop.call_soon_threadsafe(self.inbox.put_nowait, msg)
            loop.call_soon_threadsafe(self.inbox.put_nowait, None)
        except RuntimeError:
            return              # the loop ended first (SHUTDOWN): nothing to hand over

    async def next_batch(self):
        """Up to BATCH messages (1 when paced); [] at the end, or once stopped
        and drained of what the reader handed over."""
        size = 1 if self.a.rate else BATCH
        if self.inbox is None:
            return [] if self.stopping else self.stream.batch(size)
        batch = []
        while len(batch) < size and not self.ended:
            if self.inbox.empty() and (batch or self.stopping):
                break
            msg = await self.inbox.get()
            if msg is None:
                self.ended = True
            else:
                self.room.release()
                batch.append(msg)
        return batch

    async def apply_all(self, pool):
        """Apply every message in order; pace to --rate; yield to the loop
        between batches (every message when paced) so the heartbeat can run."""
        a, loop = self.a, asyncio.get_running_loop()
        t0 = time.perf_counter()
        while batch := await self.next_batch():
            for key, op, value, seq, _ in batch:
                if a.work and op == "DATA":
                    if pool:
                        await loop.run_in_executor(pool, kitspec.work_burn, a.work, seq)
                    else:
                        kitspec.work_burn(a.work, seq)     # the loop is frozen meanwhile
                ks = self.registry.get(key)
                if ks is None:
                    ks = self.registry[key] = kitspec.KeyState(key)
                ks.apply(op, value)
                self.applied += 1
            ahead = t0 + self.applied / a.rate - time.perf_counter() if a.rate else 0.0
            await asyncio.sleep(max(0.0, ahead))

    def stop(self):
        """SHUTDOWN, SIGTERM, SIGINT: read no more; apply what was read."""
        self.stopping = True
        if self.inbox is not None and self.inbox.empty():
            self.inbox.put_nowait(None)     # wake apply_all if it waits for input

    async def answer(self, cmd, key):
        """SPEC 5, from the loop itself: a query waits for the work ahead of it."""
        if cmd == "SHUTDOWN":
            self.stop()
            return "OK"
        self.queries += 1
        if cmd == "GET":
            ks = self.registry.get(key)
            return ks.row() if ks else "ERR unknown key"
        return ("messages_in=%d processed=%d rejected=%d queries=%d workers=1 workers_alive=1 "
                "restarts=0 phase=%s" % (self.stream.delivered, self.applied, self.stream.rejected,
                                         self.queries, "draining" if self.stopping else "running"))


async def run(a, pipe, sock):
    loop = asyncio.get_running_loop()
    pool = (concurrent.futures.ThreadPoolExecutor(max_workers=a.pool)
            if a.offload == "threads" else None)
    if pipe.stream.name == "-" and not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode):
        pipe.inbox = asyncio.Queue()
        threading.Thread(target=pipe.reader, args=(loop,), name="reader", daemon=True).start()
    server = await kitcli.serve_control(sock, pipe.answer) if sock else None
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, pipe.stop)
    lags, stop = [], asyncio.Event()
    beating = asyncio.create_task(heartbeat(a.heartbeat_ms / 1000.0, lags, stop))
    try:
        await pipe.apply_all(pool)
    finally:
        stop.set()
        await beating
        if server:
            server.close()
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
    a, status = kitcli.parse_with_control(p)
    if status is not None:
        return status

    sock, made = kitcli.open_control(a)
    pipe = Pipeline(a, kitcli.open_stream(a))
    uvloop.install()
    t0 = time.perf_counter()
    try:
        lags = asyncio.run(run(a, pipe, sock))
    finally:
        kitcli.close_control(a, made)
    seconds = time.perf_counter() - t0
    pipe.stream.delivered = pipe.applied    # after SHUTDOWN: what was applied, not all read

    lags.sort()

    def ms(q):
        return "%.4f" % (lags[min(len(lags) - 1, int(q * len(lags)))] * 1e3) if lags else ""
    rows = [ks.row() for ks in pipe.registry.values()]
    status = kitcli.finish(a, "py_phase1", pipe.stream, rows, seconds,
                           "one asyncio loop on uvloop, work %s" % (
                               "on the loop" if a.offload == "none"
                               else "offloaded to %d thread(s)" % a.pool),
                           [("offload", a.offload), ("pool", a.pool if a.offload == "threads" else 0),
                            ("rate", a.rate or 0), ("lag_p50_ms", ms(0.5)), ("lag_p99_ms", ms(0.99)),
                            ("lag_max_ms", ms(1.0)), ("heartbeats", len(lags)),
                            ("queries", pipe.queries)])
    return kitcli.leave(status, "reader")


if __name__ == "__main__":
    sys.exit(main())
