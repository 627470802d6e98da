#!/usr/bin/env python3
"""py_phase3: Phase 3 in Python, a pool of worker processes.

The twin of bin/phase3, in seed 000's design: one multiprocessing.Process per
worker, one mp.Queue per worker, every message pickled onto the queue of the
worker that owns its key (crc32(key) % N: Python's own hash() of a str changes
with every interpreter, so it could not name a stable owner), each worker the
only keeper of its keys' machines, a None poison pill to end each worker. At
the end every worker sends its dump rows back; their union equals
bin/reference's dump.

With --control PATH the supervisor answers GET, STATS and SHUTDOWN (SPEC 5)
while the stream flows: an asyncio loop on uvloop owns the socket, and a GET
travels to the key's owner on that worker's query queue with a correlation
id; a thread in the worker answers it on the shared results queue, and the
reply finds its waiting future by that id. SHUTDOWN (or SIGTERM, SIGINT)
stops the input, lets the workers drain their queues, and ends them with the
pill.

Why no event loop inside a worker (the seed's run_in_executor(None,
queue.get)): a worker waits on nothing but its queue, and an executor hop per
message would cost more than the message. Its query thread must take the
worker's GIL from the work, which is what a GET waits for under load.
"""
import asyncio
import itertools
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
import zlib

import uvloop

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
import kitcli  # noqa: E402
import kitspec  # noqa: E402

GRACE_S = 5.0       # a worker that has not ended this long after its pill is killed
INFLIGHT_BYTES = 4 << 20    # at most about this much payload queued per worker


def answer_queries(asks, registry, lock, results, done):
    """A worker's query thread: answer GET and STATS until the None pill."""
    while True:
        ask = asks.get()
        if ask is None:
            return
        qid, key = ask
        with lock:
            if key is None:
                text = str(done[0])
            else:
                ks = registry.get(key)
                text = ks.row() if ks else "ERR unknown key"
        results.put(("reply", qid, text))


def worker_main(wid, inbox, asks, results, work, parent):
    """One worker process: apply its keys' messages in order, until the pill."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # ^C is the supervisor's to handle
    registry, lock, done, sink = {}, threading.Lock(), [0], 0
    answering = threading.Thread(target=answer_queries, daemon=True,
                                 args=(asks, registry, lock, results, done))
    answering.start()
    while True:
        try:
            msg = inbox.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                os._exit(1)             # the supervisor is gone: so is the run
            continue
        if msg is None:
            break
        key, op, value, seq, _ = msg    # unpickled: a fresh copy of the message
        if work and op == "DATA":
            sink ^= kitspec.work_burn(work, seq)
        with lock:                      # against a GET reading a half-applied row
            ks = registry.get(key)
            if ks is None:
                ks = registry[key] = kitspec.KeyState(key)
            ks.apply(op, value)
            done[0] += 1
    asks.put(None)
    answering.join()            # a GET already asked is answered before the end
    results.put(("final", wid, [ks.row() for ks in registry.values()]))
    return sink


class WorkerDied(Exception):
    pass


class Pool:
    """The workers, their queues, and the supervisor's side of a query."""

    def __init__(self, n, work, payload):
        # A queue holds QUEUE_DEPTH messages, fewer if they are big (as bin/phase3).
        depth = max(2, min(kitspec.QUEUE_DEPTH, INFLIGHT_BYTES // (payload + 64)))
        self.inboxes = [mp.Queue(maxsize=depth) for _ in range(n)]
        self.asks = [mp.Queue() for _ in range(n)]
        self.results = mp.Queue()
        self.procs = [mp.Process(target=worker_main, daemon=True, name="worker-%d" % i,
                                 args=(i, self.inboxes[i], self.asks[i], self.results,
                                       work, os.getpid()))
                      for i in range(n)]
        for p in self.procs:
            p.start()
        self.fed, self.stopping, self.rows, self.ended = 0, False, [], set()
        self.lock = threading.Lock()    # guards stopping and the order of puts
        self.pending, self.ids = {}, itertools.count(1)
        self.queries, self.service_us = 0, []

    def check(self):
        """Raise WorkerDied if a worker ended before sending its final rows."""
        for i, p in enumerate(self.procs):
            if p.exitcode is not None and i not in self.ended:
                how = ("killed by signal %d" % -p.exitcode if p.exitcode < 0
                       else "exit status %d" % p.exitcode)
                raise WorkerDied("worker %d (pid %d) died (%s): its keys' state is lost"
                                 % (i, p.pid, how))

    def _put(self, q, item):
        """A blocking put that keeps an eye on the workers' lives."""
        while True:
            try:
                return q.put(item, timeout=0.5)
            except queue.Full:
                self.check()

    def feed(self, stream, done):
        """The feeder thread: route every message to its owner's queue, then
        stop the input. A read from a silent pipe may wait here for ever: the
        thread is a daemon, and SHUTDOWN does not wait for it."""
        n = len(self.inboxes)
        try:
            for msg in stream:
                with self.lock:
                    if self.stopping:
                        return
                    self._put(self.inboxes[zlib.crc32(msg[0].encode()) % n], msg)
                    self.fed += 1
            self.stop_input()
        except WorkerDied as e:
            done(e)

    def stop_input(self):
        """Route nothing more; send every worker its pill (once). Under the
        lock, so no message can follow a pill."""
        with self.lock:
            if not self.stopping:
                self.stopping = True
                for q in self.inboxes:
                    self._put(q, None)

    def collect(self, loop, done):
        """The collector thread: hand every reply to the loop, until every
        worker's final rows are in."""
        finals = 0
        while finals < len(self.procs):
            try:
                kind, ident, body = self.results.get(timeout=0.5)
            except queue.Empty:
                try:
                    self.check()
                except WorkerDied as e:
                    return done(e)
                continue
            if kind == "final":
                finals += 1
                self.ended.add(ident)
                self.rows += body
            else:
                loop.call_soon_threadsafe(self._reply, ident, body)
        done(None)

    def _reply(self, qid, text):
        fut = self.pending.pop(qid, None)
        if fut and not fut.done():
            fut.set_result(text)

    async def ask(self, w, key):
        qid = next(self.ids)
        fut = self.pending[qid] = asyncio.get_running_loop().create_future()
        self.asks[w].put((qid, key))
        try:
            return await asyncio.wait_for(fut, 2.0)
        except asyncio.TimeoutError:
            self.pending.pop(qid, None)
            return "ERR timeout"

    async def answer(self, cmd, key, stream):
        t0 = time.perf_counter()
        if cmd == "SHUTDOWN":
            asyncio.get_running_loop().run_in_executor(None, self.stop_input)
            return "OK"
        self.queries += 1
        if cmd == "GET":
            w = zlib.crc32(key.encode()) % len(self.procs)
            if w in self.ended:
                return "ERR shutting down"
            text = await self.ask(w, key)
            self.service_us.append((time.perf_counter() - t0) * 1e6)
            return text
        live = [w for w in range(len(self.procs)) if w not in self.ended]
        done = await asyncio.gather(*(self.ask(w, None) for w in live))
        alive = sum(p.exitcode is None for p in self.procs)
        return ("messages_in=%d processed=%s rejected=%d queries=%d workers=%d "
                "workers_alive=%d restarts=0 phase=%s pids=%s"
                % (self.fed, sum(int(d) for d in done if d.isdigit()), stream.rejected,
                   self.queries, len(self.procs), alive,
                   "draining" if self.stopping else "running",
                   ",".join(str(p.pid) for p in self.procs)))

    def end(self):
        """Join every worker; SIGTERM, then SIGKILL, one that overstays."""
        deadline = time.monotonic() + GRACE_S
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.exitcode is None:
                p.terminate()
                p.join(1.0)
            if p.exitcode is None:
                p.kill()
                p.join()


async def run(pool, stream, sock):
    """Feed, collect and answer queries until every worker has sent its rows
    (or one died: WorkerDied)."""
    loop = asyncio.get_running_loop()
    server = (await kitcli.serve_control(sock, lambda cmd, key: pool.answer(cmd, key, stream))
              if sock else None)
    finished = loop.create_future()

    def settle(e):
        if not finished.done():
            finished.set_result(None) if e is None else finished.set_exception(e)

    def done(e):            # from a thread: the run is over, failed if e is not None
        loop.call_soon_threadsafe(settle, e)
    for sig in (signal.SIGTERM, signal.SIGINT):      # as SHUTDOWN: drain, then stop
        loop.add_signal_handler(sig, loop.run_in_executor, None, pool.stop_input)
    for name, job, args in (("collector", pool.collect, (loop, done)),
                            ("feeder", pool.feed, (stream, done))):
        threading.Thread(target=job, args=args, name=name, daemon=True).start()
    try:
        await finished
    finally:
        if server:
            server.close()


def main():
    p = kitcli.parser("py_phase3", __doc__.split("\n\n")[0])
    p.add_argument("--workers", type=kitcli.count(kitspec.WORKERS_MAX), default=4, metavar="N",
                   help="worker processes, 1..256 (default 4)")
    a, status = kitcli.parse_with_control(p)
    if status is not None:
        return status

    # Fork the workers first, before this process has any thread or loop.
    pool = Pool(a.workers, a.work, a.payload)
    sock, made = kitcli.open_control(a)
    stream = kitcli.open_stream(a)
    t0 = time.perf_counter()
    died = None
    try:
        uvloop.install()
        asyncio.run(run(pool, stream, sock))
    except WorkerDied as e:
        died = e
    finally:
        kitcli.close_control(a, made)
    seconds = time.perf_counter() - t0
    if died:
        for w in pool.procs:
            w.kill()
            w.join()
        print("py_phase3: %s" % died, file=sys.stderr)
        return kitcli.leave(kitspec.EXIT_RUNTIME, "feeder")
    pool.end()

    lat = sorted(pool.service_us)
    pct = [("%.1f" % lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else ""
           for q in (0.5, 0.99)]
    stream.delivered = pool.fed         # after SHUTDOWN: what was routed, not all read
    status = kitcli.finish(a, "py_phase3", stream, pool.rows, seconds,
                           "%d worker processes" % a.workers,
                           [("workers", a.workers), ("queries", pool.queries),
                            ("query_p50_us", pct[0]), ("query_p99_us", pct[1])])
    return kitcli.leave(status, "feeder")


if __name__ == "__main__":
    sys.exit(main())
