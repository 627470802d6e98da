/* taskbench.h: the two schemes bin/taskq's ring is measured against (see
 * taskrun.h): dynamic (a task per request over pipes) and static (tasks/N ids
 * each, up front). */
#ifndef KIT_TASKBENCH_H
#define KIT_TASKBENCH_H

#include <stddef.h>

#include "taskrun.h"

/* Same contract as taskpool_run: 0 when the run ended (check the report), or
 * -1 with a one-line reason in err. */
int taskbench_dynamic(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen);
int taskbench_static(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen);

#endif
