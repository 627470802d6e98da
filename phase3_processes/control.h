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

/* --control-private: make sure the directory holding the socket path is ours
 * alone before the socket is created in it. A missing directory is created
 * with mode 0700 (its parent must exist) and *made is set to a malloc'd copy
 * of its path, for control_private_done(); an existing one is accepted only if
 * it is a real directory (not a symlink) owned by us with no group or other
 * permission. Returns 0, or -1 with a reason in err. */
int control_private_dir(const char *sock_path, char **made, char *err, size_t errlen);

/* Remove the directory control_private_dir() made (once the socket file is
 * gone) and free the path. NULL is fine. */
void control_private_done(char *made);

#endif
