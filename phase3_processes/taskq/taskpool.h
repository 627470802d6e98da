/* taskpool.h: bin/taskq's shm scheme: a supervisor pushes into the shared
 * task ring (taskring.h); workers claim ranges, run them and commit into the
 * shared result array (taskrun.h); a killed or hung worker's unfinished tasks
 * are found and run again, once. */
#ifndef KIT_TASKPOOL_H
#define KIT_TASKPOOL_H

#include <stddef.h>

#include "taskrun.h"

/* Run the tasks with o->scheme. Returns 0 when the run ended (check the report
 * for correctness), or -1 with a one-line reason in err (a failed fork, mmap...). */
int taskpool_run(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen);

#endif
