# phase3_processes/module.mk: the four rooms of phase 3, each with its own
# module.mk (README.md in this folder is the map).
-include phase3_processes/pipeline/module.mk
-include phase3_processes/taskq/module.mk
-include phase3_processes/batch/module.mk
-include phase3_processes/demos/module.mk
