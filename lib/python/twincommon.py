"""twincommon: what the Python twins share (their --csv and --quiet flags,
the --csv metadata lines, an integer argument type, is_prime; the kit's
--work unit is kitspec's), once, the way lib/ is the C programs' ground
floor: the plumbing, never the lesson. Not run on its own. A twin finds it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", "..", "lib", "python"))
"""

import argparse
import datetime
import os
import platform
import shlex
import sys

# The --work kernel and its constants are kitspec's (the pipeline twins'
# ground floor), re-exported here for the demos: one definition of a unit.
from kitspec import M64, WORK_ROUNDS, work_burn, work_unit_us

__all__ = ["M64", "WORK_ROUNDS", "add_mode", "add_output_flags", "chosen", "csv_head", "csv_meta",
           "csv_row", "int_in", "is_prime", "narrate", "work_burn",
           "work_unit_us"]


def csv_meta(out=sys.stdout):
    """The SPEC 6 metadata lines: when, where, with what, and the command."""
    now = datetime.datetime.now(datetime.timezone.utc)
    print(f"# date={now:%Y-%m-%dT%H:%M:%SZ}", file=out)
    print(f"# cores={os.cpu_count()}", file=out)
    print(f"# machine={platform.machine()}, Linux {platform.release()}, "
          f"Python {platform.python_version()}", file=out)
    print("# cmd=" + " ".join(shlex.quote(a) for a in sys.argv), file=out)


def add_output_flags(ap, rows="one metrics row"):
    """--csv (print `rows`, with metadata and header) and --quiet."""
    ap.add_argument("--csv", action="store_true",
                    help=f"print {rows} (with metadata and header)")
    ap.add_argument("--quiet", action="store_true",
                    help="no narrated summary on stderr")


def csv_head(args, header):
    """With --csv: the metadata lines and the header row."""
    if args.csv:
        csv_meta()
        print(header)


def csv_row(args, row):
    """With --csv: one metrics row."""
    if args.csv:
        print(row)


def narrate(args, text):
    """Unless --quiet: one line of the narrated summary, on stderr."""
    if not args.quiet:
        print(text, file=sys.stderr)


def add_mode(ap, modes, help):
    """--mode: one of `modes`, or both of them (the default)."""
    ap.add_argument("--mode", choices=tuple(modes) + ("both",),
                    default="both", help=help)


def chosen(args, modes):
    """The modes --mode asks for, in the order of `modes`."""
    return [m for m in modes if args.mode in (m, "both")]


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
