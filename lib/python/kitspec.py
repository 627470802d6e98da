"""kitspec: the SPEC's stream, state machine and dump, for the Python twins.

The three Python twins (py_phase1, py_phase2, py_phase3) differ only in how
they spread the work: asyncio, threads, processes. What SPEC.md fixes about
the data is here, once, the way lib/ is the C phases' ground floor: the
limits (lib/param.h), the line parser and its reasons (SPEC 1, lib/parse.c),
the built-in source (lib/source.c, byte for byte: same flags and seed, same
stream), the state machine and feature() (SPEC 2, lib/fsm.c), the %.17g dump
(SPEC 3, lib/dump.c) and the --work kernel. kitcli.py, above it, is the
programs' shell: flags, exit codes, the CSV row, the control socket.

Why the numbers agree with C's: Python's float is an IEEE double, float()
rounds a decimal string correctly as glibc's strtod does, math.sqrt and
math.log call the C library's, and '%.17g' % x prints the same digits as
printf (both round correctly). So a twin's dump equals bin/reference's, byte
for byte; tests/test_python.c checks it.

One --work unit is WORK_ROUNDS rounds of lib/fsm.c's integer mix, written in
Python. It does the same arithmetic as C's unit but costs ~100x more (an
interpreter step per operation and a big-int mask): `py_phase1 --calibrate`
prints the cost on this machine, bin/workcal prints C's.
"""
import math
import os
import re
import stat
import sys
import time

KEY_MAX = 31                # longest key (SPEC 1; lib/param.h)
LINE_MAX_BYTES = 4096       # longest input line, newline excluded
PAYLOAD_MAX = 8 << 20       # largest --payload
KEYS_MAX = 10_000_000       # --keys upper bound
WORKERS_MAX = 256           # most workers or threads
QUEUE_DEPTH = 1024          # messages in flight per worker queue
WORK_ROUNDS = 256           # integer-mix rounds in one --work unit

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_DATAERR = 0, 1, 2, 65

OPS = ("START", "DATA", "PAUSE", "RESUME", "STOP")
M64 = (1 << 64) - 1

# ------------------------------------------------------------------ parser

_KEY_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       b"0123456789_.-")
_OP_BYTES = {op.encode(): op for op in OPS}
# SPEC 1's value grammar. It runs before float(), which would also take
# "nan", "inf", "1_000" and spaces.
_VALUE = re.compile(rb"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_SHOW_MAX = 40


class BadLine(ValueError):
    """A malformed line; str() is the reason SPEC 1 prints."""


class KitError(Exception):
    """A failure the run cannot survive; str() is its one-line reason."""


def _show(field):
    """A field as lib/parse.c quotes it: non-printable bytes as \\xNN."""
    out = "".join(chr(c) if 0x20 <= c < 0x7f else "\\x%02x" % c
                  for c in field[:_SHOW_MAX])
    return out + "..." if len(field) > _SHOW_MAX else out


def key_valid(key):
    """True if bytes key is 1..KEY_MAX characters of SPEC 1's alphabet."""
    return 0 < len(key) <= KEY_MAX and all(c in _KEY_BYTES for c in key)


def parse_line(line):
    """(key, op, value) from one line (bytes, no newline), or BadLine;
    value is None where the line has none."""
    if line.endswith(b"\r"):
        raise BadLine("carriage return (CRLF line ending) at the end of the line")
    fields = line.split(b",")
    if len(fields) != 3:
        raise BadLine("expected 3 fields, got %d" % len(fields))
    key, op, val = fields
    if not key:
        raise BadLine("empty key")
    if len(key) > KEY_MAX:
        raise BadLine("key longer than %d characters (%d)" % (KEY_MAX, len(key)))
    if not key_valid(key):
        bad = next(i for i, c in enumerate(key) if c not in _KEY_BYTES)
        raise BadLine("key has invalid character '%s'" % _show(key[bad:bad + 1]))
    if not op:
        raise BadLine("empty op")
    if op not in _OP_BYTES:
        raise BadLine("unknown op '%s'" % _show(op))
    value = None
    if not val:
        if op == b"DATA":
            raise BadLine("DATA needs a value")
    else:
        if not _VALUE.fullmatch(val):
            raise BadLine("value '%s' is not a decimal number" % _show(val))
        value = float(val)
        if not math.isfinite(value):
            raise BadLine("value '%s' is not finite" % _show(val))
    return key.decode(), _OP_BYTES[op], value


def read_lines(f):
    """(number, line or None) for every line of binary file f; None means
    longer than LINE_MAX_BYTES (its bytes are read and dropped, never kept)."""
    number = 0
    while True:
        line = f.readline(LINE_MAX_BYTES + 1)
        if not line:
            return
        number += 1
        if line.endswith(b"\n"):
            yield number, line[:-1]
        elif len(line) <= LINE_MAX_BYTES:
            yield number, line          # a last line without a newline
        else:
            while line and not line.endswith(b"\n"):
                line = f.readline(1 << 16)
            yield number, None

# ------------------------------------------------------------ built-in source


def _splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


class Rng:
    """xoshiro256** seeded through splitmix64, as lib/source.c."""

    def __init__(self, seed):
        x, self.s = seed & M64, []
        for _ in range(4):
            x, z = _splitmix64(x)
            self.s.append(z)

    def next(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & M64
        result = ((((x << 7) | (x >> 57)) & M64) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M64
        self.s = [s0, s1, s2, s3]
        return result

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53

    def below(self, n):
        """Uniform in [0, n): draws below 2^64 mod n are thrown away."""
        threshold = (1 << 64) % n
        while True:
            x = self.next()
            if x >= threshold:
                return x % n


_OP_MIX = (("DATA", 88), ("START", 5), ("PAUSE", 2), ("RESUME", 3), ("STOP", 2))
_VALUE_LO, _VALUE_HI = -5000, 15000


def source(a):
    """The built-in source's messages (key, op, value, payload), as lib/source.c
    draws them: key, then op, then (DATA only) the value."""
    rng, prng = Rng(a.seed), Rng(a.seed ^ 0x7061796C6F6164)
    width = max(4, len(str(a.keys - 1)))
    cdf = None
    if a.dist == "zipf":
        cdf, total = [], 0.0
        for r in range(1, a.keys + 1):
            total += 1.0 / math.pow(float(r), a.zipf_s)
            cdf.append(total)
        cdf = [c / total for c in cdf]
        cdf[-1] = 1.0
    body = bytes(prng.next() >> 56 for _ in range(a.payload))
    made = 0
    while a.messages == 0 or made < a.messages:
        if cdf:
            u, lo, hi = rng.unit(), 0, a.keys - 1
            while lo < hi:
                mid = lo + (hi - lo) // 2
                if u < cdf[mid]:
                    hi = mid
                else:
                    lo = mid + 1
            rank = lo
        else:
            rank = rng.below(a.keys)
        x = rng.below(100)
        for op, pct in _OP_MIX:
            if x < pct:
                break
            x -= pct
        value = None
        if op == "DATA":
            value = (rng.below(_VALUE_HI - _VALUE_LO + 1) + _VALUE_LO) / 100.0
        payload = None
        if a.payload:
            head = prng.next().to_bytes(8, "little")
            payload = head[:a.payload] + body[8:]
        made += 1
        yield "k%0*d" % (width, rank), op, value, payload

# ------------------------------------------------------------------ stream


class Stream:
    """The messages of --input or the built-in source, in order. Bad lines are
    reported as INPUT:LINE: reason on stderr, counted, and skipped. An input
    that cannot be opened raises KitError."""

    def __init__(self, a):
        self.delivered = self.rejected = 0
        if a.input is None:
            self.name = "built-in"
            self._messages = self._numbered(source(a))
            return
        self.name = a.input
        try:
            f = sys.stdin.buffer if a.input == "-" else open(a.input, "rb")
            if stat.S_ISDIR(os.fstat(f.fileno()).st_mode):
                raise IsADirectoryError(21, "Is a directory")
        except OSError as e:
            raise KitError("cannot open '%s': %s" % (a.input, e.strerror))
        self._messages = self._numbered(self._parsed(f))

    def _parsed(self, f):
        for number, line in read_lines(f):
            if line is None:
                self._reject(number, "line longer than %d bytes" % LINE_MAX_BYTES)
            elif line and not line.startswith(b"#"):
                try:
                    yield parse_line(line) + (None,)
                except BadLine as e:
                    self._reject(number, str(e))

    def _reject(self, number, why):
        print("%s:%d: %s" % (self.name, number, why), file=sys.stderr)
        self.rejected += 1

    def _numbered(self, messages):
        for key, op, value, payload in messages:
            yield key, op, value, self.delivered, payload
            self.delivered += 1

    def __iter__(self):
        """(key, op, value, seq, payload) per message; seq counts from 0."""
        return self._messages

    def batch(self, n):
        """Up to n messages (fewer only at the end)."""
        return [m for _, m in zip(range(n), self._messages)]

# ------------------------------------------------------- state machine, dump


def feature(v):
    """The lecture's record feature (SPEC 2)."""
    n = (v - 20.0) / 60.0
    return math.sqrt(abs(n)) * math.log(abs(v) + 1.0)


# (op, state) -> new state: the valid pairs of SPEC 2; any other is invalid.
_NEXT = {("START", "IDLE"): "RUNNING", ("START", "STOPPED"): "RUNNING",
         ("DATA", "RUNNING"): "RUNNING", ("PAUSE", "RUNNING"): "PAUSED",
         ("RESUME", "PAUSED"): "RUNNING", ("STOP", "RUNNING"): "STOPPED",
         ("STOP", "PAUSED"): "STOPPED"}


class KeyState:
    """One key's machine (SPEC 2)."""
    __slots__ = ("key", "state", "messages", "data_count", "sum", "min", "max",
                 "last", "feature_sum", "invalid")

    def __init__(self, key):
        self.key, self.state = key, "IDLE"
        self.messages = self.data_count = self.invalid = 0
        self.sum = self.feature_sum = 0.0
        self.min = self.max = self.last = 0.0

    def apply(self, op, value):
        self.messages += 1
        to = _NEXT.get((op, self.state))
        if to is None:
            self.invalid += 1
            return
        self.state = to
        if op == "DATA":
            if self.data_count == 0 or value < self.min:
                self.min = value
            if self.data_count == 0 or value > self.max:
                self.max = value
            self.data_count += 1
            self.sum += value       # in arrival order: reordering changes the sum
            self.last = value
            self.feature_sum += feature(value)

    def row(self):
        """The key's dump row (SPEC 3), no newline."""
        mm = ("%.17g,%.17g,%.17g" % (self.min, self.max, self.last)
              if self.data_count else ",,")
        return "%s,%s,%d,%d,%.17g,%s,%.17g,%d" % (
            self.key, self.state, self.messages, self.data_count, self.sum, mm,
            self.feature_sum, self.invalid)


DUMP_HEADER = "key,state,messages,data_count,sum,min,max,last,feature_sum,invalid"


def dump(rows, path):
    """Write the dump rows (strings, any order) sorted by key to path;
    KitError if it cannot."""
    text = DUMP_HEADER + "\n" + "".join(r + "\n" for r in sorted(rows))
    try:
        if path == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            with open(path, "w") as f:
                f.write(text)
    except OSError as e:
        raise KitError("writing the dump to '%s': %s" % (path, e.strerror))


def work_burn(units, salt):
    """units x WORK_ROUNDS rounds of lib/fsm.c's integer mix: a serial chain,
    pure Python, so a thread running it holds the GIL throughout."""
    x = (salt ^ 0x9E3779B97F4A7C15) & M64
    for i in range(units * WORK_ROUNDS):
        x ^= x >> 33
        x = (x * 0xFF51AFD7ED558CCD) & M64
        x ^= x >> 29
        x = (x + i) & M64
    return x


def work_unit_us(units=200, runs=5):
    """The median cost of one --work unit on this machine, in microseconds."""
    times = []
    for r in range(runs):
        t0 = time.perf_counter()
        work_burn(units, r)
        times.append((time.perf_counter() - t0) / units * 1e6)
    return sorted(times)[runs // 2]
