# experiments/python/python.mk: a result is made again when a Python program
# that writes its python rows changes, as it is when its driver changes.
# Included by experiments/module.mk (after the rules it adds prerequisites to).
PY_TWINS := lib/python/twincommon.py
$(RESULTS_DIR)/ipc_size.csv: experiments/python/ipcbench.py
$(RESULTS_DIR)/serialization.csv: experiments/python/serbench.py
$(RESULTS_DIR)/startup_memory.csv: experiments/python/startbench.py
$(RESULTS_DIR)/batching.csv: phase3_processes/batch/python/batchpool.py $(PY_TWINS)
$(RESULTS_DIR)/threads_vs_processes.csv: phase3_processes/demos/python/clean_order.py $(PY_TWINS)
$(RESULTS_DIR)/parallel_map.csv: phase3_processes/demos/python/poolmap.py $(PY_TWINS)
$(RESULTS_DIR)/task_queue.csv: phase3_processes/taskq/python/taskq.py $(PY_TWINS)
