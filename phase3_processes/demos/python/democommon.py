"""What the Python demos share: the --csv metadata lines (SPEC 6) and a
positive-integer argument type for argparse. Not run on its own."""

import argparse
import datetime
import os
import platform
import shlex
import sys


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
