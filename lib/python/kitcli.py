"""kitcli: the shell every Python twin shares, on top of kitspec.

SPEC 7's common flags (argparse: a bad flag exits 2 with the reason and the
usage, SPEC 4), --emit and --calibrate, the end of a run (the dump, SPEC 6's
CSV row with bin/csvmeta's metadata, the summary line, the exit status), and
the control socket's line grammar (SPEC 5, lib/ctl.c) and safe opening.
"""
import argparse
import asyncio
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time

from kitspec import (EXIT_DATAERR, EXIT_OK, EXIT_RUNTIME, KEYS_MAX, M64, PAYLOAD_MAX,
                     WORK_ROUNDS, BadLine, KitError, Stream, dump, key_valid,
                     work_unit_us)

CTL_LINE_MAX = 512          # longest control command line

# ------------------------------------------------------------ command line


def _int_in(lo, hi):
    def parse(s):
        if not re.fullmatch(r"[0-9]+", s) or not lo <= int(s) <= hi:
            raise argparse.ArgumentTypeError("'%s' is not a number in [%d, %d]" % (s, lo, hi))
        return int(s)
    return parse


def _zipf_s(s):
    try:
        v = float(s)
    except ValueError:
        v = -1.0
    if not 0 < v <= 10:
        raise argparse.ArgumentTypeError("'%s' is not a number in (0, 10]" % s)
    return v


def count(hi):
    """An argparse type: a decimal integer in [1, hi]."""
    return _int_in(1, hi)


def parser(prog, summary):
    """An argparse parser with SPEC 7's common flags; a twin adds its own.
    Bad flags exit 2 with the reason and the usage (SPEC 4)."""
    p = argparse.ArgumentParser(prog=prog, description=summary, allow_abbrev=False,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("input")
    g.add_argument("--input", metavar="FILE",
                   help='read messages from FILE ("-" = stdin) instead of the built-in source')
    g.add_argument("--messages", type=_int_in(0, M64), default=100000, metavar="N",
                   help="built-in source: messages to make, 0 = endless (default 100000)")
    g.add_argument("--keys", type=_int_in(1, KEYS_MAX), default=100, metavar="K",
                   help="built-in source: distinct keys (default 100)")
    g.add_argument("--dist", choices=("uniform", "zipf"), default="uniform")
    g.add_argument("--zipf-s", type=_zipf_s, default=1.1, metavar="S",
                   help="Zipf exponent, > 0 and <= 10 (default 1.1)")
    g.add_argument("--seed", type=_int_in(0, M64), default=1, metavar="N")
    g.add_argument("--payload", type=_int_in(0, PAYLOAD_MAX), default=0, metavar="BYTES",
                   help="opaque payload bytes per message (pickled with it)")
    g = p.add_argument_group("output")
    g.add_argument("--emit", action="store_true", help="print the stream instead of processing it")
    g.add_argument("--dump-state", metavar="FILE",
                   help='write every key\'s final state as CSV ("-" = stdout)')
    g.add_argument("--csv", action="store_true", help="one metrics row (metadata, header) on stdout")
    g.add_argument("--quiet", action="store_true", help="no summary on stderr")
    g = p.add_argument_group("run")
    g.add_argument("--work", type=_int_in(0, 2**32 - 1), default=0, metavar="W",
                   help="units of CPU work per DATA message: %d rounds of lib/fsm.c's "
                   "integer mix in Python, ~100x a C unit (--calibrate)" % WORK_ROUNDS)
    g.add_argument("--calibrate", action="store_true",
                   help="print what one --work unit costs here and exit")
    g.add_argument("--version", action="version", version="Python " + sys.version.split()[0],
                   help="print the interpreter's version and exit")
    return p


def die(why, status=EXIT_RUNTIME):
    prog = os.path.basename(os.environ.get("KIT_PROG", sys.argv[0]))
    print("%s: %s" % (prog, why), file=sys.stderr)
    sys.exit(status)


def open_stream(a):
    """kitspec.Stream(a), or exit 1 with the reason."""
    try:
        return Stream(a)
    except KitError as e:
        die(str(e))


def common_modes(a):
    """Run --calibrate or --emit: their exit status, or None for a normal run."""
    if a.calibrate:
        print("one --work unit = %.2f us (median of 5 runs of 200 units, Python %s)"
              % (work_unit_us(), sys.version.split()[0]))
        return EXIT_OK
    if not a.emit:
        return None
    out, stream = sys.stdout, open_stream(a)
    for key, op, value, _, _ in stream:
        v = ""
        if value is not None:
            for prec in (15, 16, 17):
                v = "%.*g" % (prec, value)
                if float(v) == value:
                    break
        out.write("%s,%s,%s\n" % (key, op, v))
    out.flush()
    return exit_status(stream.rejected)


def csv_row(header, values):
    """SPEC 6: the metadata lines (bin/csvmeta's, as the C programs print),
    the header, one row, on stdout."""
    meta = os.environ.get("KIT_CSVMETA", "")
    cmd = [os.environ.get("KIT_PROG", sys.argv[0])] + sys.argv[1:]
    try:
        text = subprocess.run([meta] + cmd, capture_output=True, text=True,
                              check=True).stdout if meta else ""
    except (OSError, subprocess.CalledProcessError):
        text = ""
    if not text:
        text = "# date=%s\n# cores=%d\n# cmd=%s\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.cpu_count(), " ".join(cmd))
    text += "# lang=python %s\n" % sys.version.split()[0]
    sys.stdout.write(text + header + "\n" + ",".join(str(v) for v in values) + "\n")
    sys.stdout.flush()


def exit_status(rejected):
    return EXIT_DATAERR if rejected else EXIT_OK

# ------------------------------------------------------------ control lines


def ctl_parse(line):
    """(command, key) for one control line (bytes, no newline), as lib/ctl.c;
    raises BadLine with the text that follows "ERR "."""
    if len(line) > CTL_LINE_MAX:
        raise BadLine("line too long")
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line:
        raise BadLine("empty line")
    word, sp, rest = line.partition(b" ")
    if word == b"GET":
        if len(line) <= 4:
            raise BadLine("GET needs a key")
        if not key_valid(line[4:]):
            raise BadLine("bad key")
        return "GET", line[4:].decode()
    if word in (b"STATS", b"SHUTDOWN"):
        if sp:
            raise BadLine("%s takes no argument" % word.decode())
        return word.decode(), None
    shown = "".join(chr(c) if 0x20 <= c < 0x7f else "?" for c in word[:32])
    raise BadLine("unknown command '%s'" % (shown + ("..." if len(word) > 32 else "")))


def control_socket(path, private):
    """A listening UNIX socket at path, mode 0600 (SPEC 5). A file there that
    a live run still listens on is never replaced; a stale one is. With
    private, path's directory is made (0700), or must already be private.
    Returns (socket, directory we made or None); exits 1 on failure."""
    made = None
    if private:
        d = os.path.dirname(path) or "."
        try:
            os.mkdir(d, 0o700)
            made = d
        except FileExistsError:
            st = os.lstat(d)
            if (not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid()
                    or st.st_mode & 0o077):
                die("--control-private: '%s' is not a private directory of this user "
                    "(mode %04o, owner %d)" % (d, st.st_mode & 0o7777, st.st_uid))
        except OSError as e:
            die("--control-private: cannot make '%s': %s" % (d, e.strerror))
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        die("--control: another run is listening on '%s'" % path)
    except (ConnectionRefusedError, FileNotFoundError):
        pass
    except OSError:
        pass
    finally:
        probe.close()
    if os.path.lexists(path):
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            die("--control: '%s' exists and is not a socket" % path)
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        s.bind(path)
    except OSError as e:
        die("--control: cannot bind '%s': %s" % (path, e.strerror))
    finally:
        os.umask(old)
    s.listen(32)
    return s, made


def finish(a, prog, stream, rows, seconds, how, extra=()):
    """The end of every twin's run: the dump, the --csv row (messages,
    seconds, msgs_per_s, keys, rejected, work, then extra's (name, value)
    pairs), the summary line; returns the exit status (SPEC 4)."""
    if a.dump_state:
        try:
            dump(rows, a.dump_state)
        except KitError as e:
            die(str(e))
    n = stream.delivered
    rate = n / seconds if seconds > 0 else 0.0
    if a.csv:
        names = ["messages", "seconds", "msgs_per_s", "keys", "rejected", "work"]
        values = [n, "%.6f" % seconds, "%.0f" % rate, len(rows), stream.rejected, a.work]
        csv_row(",".join(names + [k for k, _ in extra]), values + [v for _, v in extra])
    if not a.quiet:
        print("%s: applied %d messages from %s to %d keys in %.3f s (%.0f msgs/s, %s, "
              "--work %d), %d lines rejected; Python %s, %d cores"
              % (prog, n, stream.name, len(rows), seconds, rate, how, a.work,
                 stream.rejected, sys.version.split()[0], os.cpu_count()), file=sys.stderr)
    return exit_status(stream.rejected)


def add_control_flags(p):
    """--control and --control-private, for a twin that answers queries."""
    p.add_argument("--control", metavar="PATH",
                   help="answer GET key / STATS / SHUTDOWN on a UNIX socket at PATH")
    p.add_argument("--control-private", action="store_true",
                   help="make --control's directory mode 0700 (or accept it only if private)")


def parse_args(p):
    """p.parse_args(), and --control-private refused without --control."""
    a = p.parse_args()
    if getattr(a, "control_private", False) and not a.control:
        p.error("--control-private needs --control")
    return a


def parse_with_control(p):
    """Add --control/--control-private to p and parse: (args, status), where
    status is --calibrate's or --emit's exit status, or None for a normal run."""
    add_control_flags(p)
    a = parse_args(p)
    return a, common_modes(a)


def open_control(a):
    """(socket, directory made) for --control, (None, None) without it."""
    return control_socket(a.control, a.control_private) if a.control else (None, None)


def close_control(a, made):
    """Remove the socket file (and the directory --control-private made)."""
    if a.control:
        os.unlink(a.control)
        if made:
            os.rmdir(made)


async def serve_control(sock, answer):
    """Serve SPEC 5 on the listening socket: each line is parsed here, a bad
    one answered ERR; a good one by `await answer(command, key)`."""
    async def conversation(reader, writer):
        try:
            while line := await reader.readline():
                try:
                    cmd, key = ctl_parse(line.rstrip(b"\n"))
                    text = await answer(cmd, key)
                except BadLine as e:
                    text = "ERR %s" % e
                writer.write(text.encode() + b"\n")
                await writer.drain()
        except (ValueError, ConnectionError):
            pass                        # a line past the reader's limit, a reset
        finally:
            writer.close()
    return await asyncio.start_unix_server(conversation, sock=sock, limit=1 << 16)


def leave(status, waiter):
    """The exit status; or, if the thread named waiter still waits on a
    silent stdin (after SHUTDOWN), exit at once: the interpreter's own exit
    would abort on the stdin lock that thread holds. The caller has written
    everything and ended its workers by then."""
    if any(t.name == waiter for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status
