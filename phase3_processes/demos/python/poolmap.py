"""poolmap.py: seed 004's Pool.map exercises in Python.

--gen-primes FILE writes the assignment's file of random integers in
[1, 1000000]; --count-primes FILE maps is_prime over them with
multiprocessing.Pool (W = 0: the built-in map, in this process);
--sum-squares N is the quick exercise, parallel_sum over range(N). The
answer goes to stdout, the time to stderr; the C twin is bin/poolmap (same
flags; its --gen-primes file differs, its answers on a file do not).

    /usr/bin/python3 poolmap.py --gen-primes /tmp/n.txt --count 100000
    /usr/bin/python3 poolmap.py --count-primes /tmp/n.txt --workers 2
    /usr/bin/python3 poolmap.py --sum-squares 1000000 --workers 2

Unlike bin/poolmap, the parent reads and parses the whole file before the
pool starts, as the assignment does: that serial part is Amdahl's law at work
(phase3_processes/demos/README.md measures it in C).
"""

import argparse
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "lib", "python"))
from twincommon import add_output_flags, csv_meta, int_in, is_prime  # noqa: E402

VALUE_MAX = 1_000_000


def square(x: int) -> int:
    return x * x


def generate_large_file(filename, num_lines, seed):
    rng = random.Random(seed)
    with open(filename, "w") as f:
        for _ in range(num_lines):
            f.write(f"{rng.randint(1, VALUE_MAX)}\n")


def read_numbers(filename):
    """Every line's integer; ValueError names the first bad line."""
    numbers = []
    with open(filename) as f:
        for line_no, line in enumerate(f, 1):
            try:
                numbers.append(int(line))
            except ValueError:
                raise ValueError(f"{filename}:{line_no}: not an integer")
    return numbers


def pool_map(fn, items, workers, chunk=None):
    """Pool.map with `workers` processes; 0 workers: the built-in map."""
    if workers == 0:
        return list(map(fn, items))
    with multiprocessing.Pool(workers) as pool:
        return pool.map(fn, items, chunk)


def parse_args():
    ap = argparse.ArgumentParser(
        description="Pool.map over is_prime (a file of integers) or over "
                    "square (parallel_sum).")
    task = ap.add_mutually_exclusive_group(required=True)
    task.add_argument("--gen-primes", metavar="FILE",
                      help="write --count random integers in [1, 1000000]")
    task.add_argument("--count-primes", metavar="FILE",
                      help="count the primes among FILE's integers")
    task.add_argument("--sum-squares", type=int_in(0, 2**31), metavar="N",
                      help="sum of i*i for i in 0..N-1, mapped in parallel")
    ap.add_argument("--count", type=int_in(0, 2**32), default=1_000_000,
                    metavar="N", help="integers --gen-primes writes")
    ap.add_argument("--seed", type=int_in(0, 2**64 - 1), default=1,
                    metavar="S", help="seed for --gen-primes (default 1)")
    ap.add_argument("--workers", type=int_in(0, 256), default=2, metavar="W",
                    help="pool processes; 0 = sequential here (default 2)")
    ap.add_argument("--chunk", type=int_in(1, 2**20), default=4096,
                    metavar="C", help="--sum-squares: items per task sent "
                    "to a worker (default 4096)")
    add_output_flags(ap)
    return ap.parse_args()


def main():
    a = parse_args()
    if a.gen_primes:
        generate_large_file(a.gen_primes, a.count, a.seed)
        if not a.quiet:
            print(f"poolmap.py: wrote {a.count} integers in [1, {VALUE_MAX}]"
                  f" to {a.gen_primes} (seed {a.seed})", file=sys.stderr)
        return 0

    start = time.perf_counter()
    if a.count_primes:
        try:
            numbers = read_numbers(a.count_primes)
        except OSError as e:
            print(f"poolmap.py: cannot read '{a.count_primes}': "
                  f"{e.strerror}", file=sys.stderr)
            return 1
        except ValueError as e:
            print(f"poolmap.py: {e}", file=sys.stderr)
            return 65
        task, n, chunk = "count_primes", len(numbers), 0
        result = sum(pool_map(is_prime, numbers, a.workers))
    else:
        task, n, chunk = "sum_squares", a.sum_squares, a.chunk
        result = sum(pool_map(square, range(n), a.workers, chunk))
    duration = time.perf_counter() - start

    if a.csv:
        csv_meta()
        print("task,n,workers,chunk,seconds,result")
        print(f"{task},{n},{a.workers},{chunk},{duration:.6f},{result}")
    else:
        print(result)
    if not a.quiet:
        how = (f"Pool.map over {a.workers} processes" if a.workers
               else "sequential map")
        read = " (reading the file included)" if a.count_primes else ""
        print(f"poolmap.py: {task} over {n} integers, {how}: result {result}"
              f" in {duration:.6f} s{read}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
