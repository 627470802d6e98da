# parallel_map: counting primes in a file, sequentially and with a fork pool of
# 1, 2 and 4 workers (Pool.map in C), whole programs timed by hyperfine.
load 'plots/common.gpi'
title_text = "is_prime over a file: sequential vs pool map (parallel_map, hyperfine)"
load 'plots/hyperfine.gpi'
