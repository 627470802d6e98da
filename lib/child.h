/* child.h: the one way the kit starts a long-lived worker process, after
 * nginx's ngx_spawn_process(). Every fork site needs the same care, so it is
 * written once: signals blocked around fork() (so no inherited handler runs in
 * the child before it is reset), every handler back to its default in the
 * child, PR_SET_PDEATHSIG plus the getppid() re-check (a worker dies with its
 * supervisor), every fd closed but 0, 1, 2 and the ones kept, stdin/stdout to
 * /dev/null where asked, and _exit() with the worker's return value (never
 * exit(): the parent's atexit handlers and stdio buffers are the parent's).
 *
 * Programs whose lesson IS the raw call (bin/startbench timing fork() against
 * posix_spawn(), bin/clean_order's bare processes) keep their own fork() and
 * say why in a comment. */
#ifndef KIT_CHILD_H
#define KIT_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#define CHILD_KEEP_MAX 8        /* fds a child may keep besides 0, 1 and 2 */

struct child_opts {
    const int *keep;            /* fds the child keeps (besides 0, 1, 2); may be NULL */
    unsigned nkeep;             /* how many, at most CHILD_KEEP_MAX */
    int null_stdin;             /* nonzero: the child's stdin reads /dev/null */
    int null_stdout;            /* nonzero: the child's stdout writes /dev/null, so a
                                   reader of the parent's stdout sees EOF when the
                                   parent is done, even if a worker lingers */
    int ignore_sigint;          /* nonzero: the child ignores SIGINT (the terminal
                                   sends it to the whole group; the parent drains) */
};

/* The child's body: its return value becomes the child's exit status. */
typedef int (*child_fn)(void *arg);

/* Fork a child that runs fn(arg) with the set-up above and _exit()s with what
 * it returns. In the child SIGPIPE is ignored (a write to a dead parent is
 * EPIPE, not a death), every other handler is SIG_DFL and no signal is
 * blocked. Returns the child's pid, or -1 with errno set (EINVAL for too many
 * kept fds; fork()'s errno otherwise) and no child started. The parent's
 * stdout and stderr are flushed first, so no buffered output is written twice. */
pid_t child_spawn(const struct child_opts *opts, child_fn fn, void *arg);

#endif
