"""twincommon: what the Python twins of the seed demos share (their --csv
metadata lines, an integer argument type, is_prime and the kit's --work
unit), once, the way lib/ is the C programs' ground floor. Not run on its
own. A twin finds it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", "..", "lib", "python"))
"""

import argparse
import datetime
import os
import platform
import shlex
import sys

M64 = (1 << 64) - 1
WORK_ROUNDS = 256               # lib/fsm.h: integer-mix rounds per --work unit


def csv_meta(out=sys.stdout):
    """The SPEC 6 metadata lines: when, where, with what, and the command."""
    now = datetime.datetime.now(datetime.timezone.utc)
    print(f"# date={now:%Y-%m-%dT%H:%M:%SZ}", file=out)
    print(f"# cores={os.cpu_count()}", file=out)
    print(f"# machine={platform.machine()}, Linux {platform.release()}, "
          f"Python {platform.python_version()}", file=out)
    print("# cmd=" + " ".join(shlex.quote(a) for a in sys.argv), file=out)


def int_in(lo, hi):
    """An argparse type: an integer in [lo, hi] (else a usage error)."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer")
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is not in [{lo}, {hi}]")
        return v
    return parse


def is_prime(n: int) -> bool:
    """The assignment's test (lib/primes.c's, by trial division)."""
    if n < 2:
        return False
    if n < 4:
        return True
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def work_burn(units, salt):
    """units x 256 rounds of lib/fsm.c's work_burn integer mix: the same
    arithmetic as C's --work unit, ~100x its cost in CPython."""
    x = (salt ^ 0x9E3779B97F4A7C15) & M64
    for i in range(units * WORK_ROUNDS):
        x ^= x >> 33
        x = (x * 0xFF51AFD7ED558CCD) & M64
        x ^= x >> 29
        x = (x + i) & M64
    return x
