/* phase3_bg.h: running bin/phase3 in the background and driving it through its
 * control socket, for test_phase3.c and test_phase3_recovery.c. Header-only
 * (static inline) so each suite stays one source file; every wait is bounded by
 * a limit scaled with CK_TIMEOUT_MULTIPLIER, and none is an assertion about
 * speed. */
#ifndef PHASE3_BG_H
#define PHASE3_BG_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"
#include "kit_test.h"

struct bg {
    pid_t pid;
    char *dir;
    char sock[512], out[512], err[512];
};

/* Start phase3 with the given flags plus --control, stdin from fd in (/dev/null
 * if in < 0), stdout/stderr to files. A flag starting with "@/" names a file in
 * the run's own directory ("@/dump.csv" becomes DIR/dump.csv); bg_path() gives
 * the same path back. */
static inline void bg_start_in(struct bg *b, const char *const *flags, int in)
{
    static char expanded[8][512];
    b->dir = kit_tmpdir();
    snprintf(b->sock, sizeof b->sock, "%s/ctl.sock", b->dir);
    snprintf(b->out, sizeof b->out, "%s/out", b->dir);
    snprintf(b->err, sizeof b->err, "%s/err", b->dir);
    char *argv[48];
    int n = 0, nexp = 0;
    argv[n++] = (char *)kit_bin("phase3");
    for (; *flags && n < 44; flags++) {
        if (strncmp(*flags, "@/", 2) == 0 && nexp < 8) {
            snprintf(expanded[nexp], sizeof expanded[0], "%s/%s", b->dir, *flags + 2);
            argv[n++] = expanded[nexp++];
        } else {
            argv[n++] = (char *)*flags;
        }
    }
    argv[n++] = "--control";
    argv[n++] = b->sock;
    argv[n] = NULL;
    b->pid = fork();
    ck_assert_msg(b->pid >= 0, "fork: %s", strerror(errno));
    if (b->pid == 0) {
        int o = open(b->out, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(b->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0)
            in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0)
            _exit(127);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
}

/* bg_start_in with stdin from /dev/null. */
static inline void bg_start(struct bg *b, const char *const *flags)
{
    bg_start_in(b, flags, -1);
}

/* The path "@/name" stood for in bg_start (a static buffer). */
static inline const char *bg_path(const struct bg *b, const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", b->dir, name);
    return p;
}

/* One command; returns 0, or -1 if no answer came (the run may have ended). */
static inline int bg_try(struct bg *b, const char *cmd, char *ans, size_t len)
{
    return ctl_request(b->sock, cmd, ans, len, 5000) >= 0 ? 0 : -1;
}

/* One command, retrying while the socket is not there yet (startup). */
static inline void bg_cmd(struct bg *b, const char *cmd, char *ans, size_t len)
{
    double limit = 10 * kit_time_scale();
    for (int waited = 0; waited < limit * 1000; waited += 10) {
        if (bg_try(b, cmd, ans, len) == 0)
            return;
        kit_sleep_ms(10);
    }
    ck_abort_msg("no answer to '%s' on %s: %s", cmd, b->sock, strerror(errno));
}

/* The value of name=... in a STATS line (a whole name: "replayed" is not
 * found inside "x_replayed"). */
static inline long stat_of(const char *stats, const char *name)
{
    char key[64];
    size_t klen = (size_t)snprintf(key, sizeof key, "%s=", name);
    const char *p = stats;
    while ((p = strstr(p, key)) != NULL && p != stats && p[-1] != ' ')
        p++;
    ck_assert_msg(p, "STATS has no %s: %s", name, stats);
    return strtol(p + klen, NULL, 10);
}

/* Wait for the supervisor's exit (at most limit s); returns its exit status. */
static inline int bg_wait(struct bg *b, double limit)
{
    int st;
    for (int ms = 0; ms < limit * 1000 * kit_time_scale(); ms += 10) {
        pid_t p = waitpid(b->pid, &st, WNOHANG);
        if (p == b->pid) {
            b->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        kit_sleep_ms(10);
    }
    kill(b->pid, SIGKILL);
    waitpid(b->pid, &st, 0);
    b->pid = 0;
    ck_abort_msg("phase3 did not exit within %.0f s", limit);
    return -1;
}

static inline char *bg_file(const char *path)
{
    char *t = kit_read_file(path, NULL);
    return t ? t : strdup("");
}

static inline void bg_done(struct bg *b)
{
    kit_rmtree(b->dir);
    free(b->dir);
}

/* Worker pids from STATS' pids=a,b,c. Returns how many. */
static inline int pids_of(const char *stats, pid_t *pids, int max)
{
    const char *p = strstr(stats, "pids=");
    ck_assert_msg(p, "STATS has no pids: %s", stats);
    p += 5;
    int n = 0;
    while (n < max && *p >= '0' && *p <= '9') {
        pids[n++] = (pid_t)strtol(p, (char **)&p, 10);
        if (*p == ',')
            p++;
    }
    return n;
}

/* Alive = /proc/PID exists and is not a zombie (a re-parented worker that has
 * died may wait as a zombie for init to reap it): kit_test's reading of it. */
static inline int pid_alive(pid_t pid)
{
    return kit_live_parent(pid) != 0;
}

#endif
