# threads_vs_processes: the seed's clean_order timings (hyperfine). One busy loop
# per order; 2 orders as threads vs as processes. In C both run in parallel.
load 'plots/common.gpi'
title_text = "clean_order: 1 or 2 orders as threads or processes (threads_vs_processes, hyperfine)"
load 'plots/hyperfine.gpi'
