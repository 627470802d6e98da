/* control.h: the supervisor's control-socket handler (SPEC §5). */
#ifndef P3_CONTROL_H
#define P3_CONTROL_H

#include <stddef.h>

#include "ctl.h"
#include "supervisor.h"

/* The ctlsrv handler; data is the struct sup. Answers STATS and SHUTDOWN at
 * once and GET when the owning worker replies (or "ERR timeout"). */
void control_on_cmd(struct ctl_query *q, const struct ctl_req *req, void *data);

/* The STATS line: space-separated name=value pairs, pids last. */
void control_stats(struct sup *s, char *out, size_t len);

#endif
