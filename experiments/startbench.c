/* startbench: what a new process or thread costs to start and to keep (the
 * startup_memory experiment; the seed's "process overhead is real").
 *
 * Start-up (median over --iterations of each, in µs):
 *   fork         fork(), the child _exit(0)s at once, the parent waitpid()s;
 *   fork_exec    fork() + execv("/bin/true") + waitpid();
 *   posix_spawn  posix_spawn("/bin/true") + waitpid();
 *   pthread      pthread_create() of an empty function + pthread_join().
 * Memory (from /proc/PID/smaps_rollup, in KiB):
 *   fork         a forked child of this program, idle on a pipe: its Pss. Pages it
 *                still shares copy-on-write with its parent count half (Pss splits a
 *                shared page among its users), which is why a fork()ed worker is
 *                cheap until it writes;
 *   fork_exec, posix_spawn   a fresh exec of this program (`--child-wait`), idle
 *                on a pipe: a tiny C program with the kit's libraries loaded;
 *   pthread      the growth of this process's own Pss when one more thread,
 *                idle on a pipe, exists (its touched stack and bookkeeping).
 * private_kib is the memory no other process shares: what one more worker
 * really adds. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csv.h"
#include "frame.h"
#include "param.h"
#include "timing.h"

extern char **environ;

#define ITER_MAX 100000         /* most --iterations */

struct mem {
    long rss, pss, priv;        /* KiB; -1 if unknown */
};

static const char *prog = "startbench";

static void die(const char *what)
{
    fprintf(stderr, "%s: %s failed: %s\n", prog, what, strerror(errno));
    exit(EXIT_FAILURE_RT);
}

/* --child-wait: tell the parent we are up (one byte on stdout), then idle until
 * stdin closes. The process the parent measures after exec. */
static int child_wait(void)
{
    char c = 'r';
    if (fd_write_all(1, &c, 1) < 0)
        return EXIT_FAILURE_RT;
    while (read(0, &c, 1) > 0)
        ;
    return EXIT_OK;
}

static int read_mem(pid_t pid, struct mem *m)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "re");
    *m = (struct mem){ -1, -1, -1 };
    if (!f)
        return -1;
    long pc = 0, pd = 0;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "Rss: %ld kB", &m->rss);
        sscanf(line, "Pss: %ld kB", &m->pss);
        sscanf(line, "Private_Clean: %ld kB", &pc);
        sscanf(line, "Private_Dirty: %ld kB", &pd);
    }
    fclose(f);
    m->priv = pc + pd;
    return m->pss < 0 ? -1 : 0;
}

static void reap_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid()");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s: child %d failed (status %d)\n", prog, (int)pid, st);
        exit(EXIT_FAILURE_RT);
    }
}

static void *thread_noop(void *arg)
{
    return arg;
}

/* arg: {stdin-like fd to idle on, fd to say "ready" on}. */
static void *thread_idle(void *arg)
{
    const int *fd = arg;
    char c = 'r';
    if (fd_write_all(fd[1], &c, 1) == 0)
        while (read(fd[0], &c, 1) > 0)
            ;
    return NULL;
}

enum method { M_FORK, M_FORK_EXEC, M_SPAWN, M_PTHREAD, M_COUNT };
static const char *const method_names[M_COUNT] = { "fork", "fork_exec", "posix_spawn", "pthread" };
static const char *const pss_of[M_COUNT] = { "forked-child", "exec-of-kit-program",
                                             "spawn-of-kit-program", "thread-growth" };

/* One start-and-finish of method m, in ns. The raw fork() is the lesson: its
 * cost against posix_spawn() is what is timed, so no lib/child.h set-up. */
static uint64_t start_once(enum method m)
{
    static char *const true_argv[] = { "/bin/true", NULL };
    uint64_t t0 = now_ns();
    pid_t pid;
    switch (m) {
    case M_FORK:
        if ((pid = fork()) < 0)
            die("fork()");
        if (pid == 0)
            _exit(0);
        reap_child(pid);
        break;
    case M_FORK_EXEC:
        if ((pid = fork()) < 0)
            die("fork()");
        if (pid == 0) {
            execv(true_argv[0], true_argv);
            _exit(127);
        }
        reap_child(pid);
        break;
    case M_SPAWN: {
        int rc = posix_spawn(&pid, true_argv[0], NULL, NULL, true_argv, environ);
        if (rc != 0) {
            errno = rc;
            die("posix_spawn(/bin/true)");
        }
        reap_child(pid);
        break;
    }
    default: {
        pthread_t t;
        int rc = pthread_create(&t, NULL, thread_noop, NULL);
        if (rc != 0) {
            errno = rc;
            die("pthread_create()");
        }
        pthread_join(t, NULL);
        break;
    }
    }
    return now_ns() - t0;
}

/* The memory one more idle thread adds to this process (in, up: its pipes). */
static void thread_memory(int in[2], int up[2], struct mem *out)
{
    struct mem before, after;
    pthread_t t;
    if (read_mem(getpid(), &before) < 0)
        die("reading /proc/self/smaps_rollup");
    int fds[2] = { in[0], up[1] };
    int rc = pthread_create(&t, NULL, thread_idle, fds);
    if (rc != 0) {
        errno = rc;
        die("pthread_create()");
    }
    char c;
    if (fd_read_all(up[0], &c, 1) != 1)   /* the thread is up, its stack touched */
        die("waiting for the thread to be ready");
    if (read_mem(getpid(), &after) < 0)
        die("reading /proc/self/smaps_rollup");
    close(in[1]);
    pthread_join(t, NULL);
    *out = (struct mem){ after.rss - before.rss, after.pss - before.pss, after.priv - before.priv };
    close(in[0]), close(up[0]), close(up[1]);
}

/* Start an idle child by method m (not M_PTHREAD) that says "ready" on up[1]
 * and idles until in[0] reaches EOF. Returns its pid. The fork()s here are
 * raw on purpose: the memory of a bare fork()ed child is what is measured
 * (lib/child.h's set-up would add its own work to the child). */
static pid_t start_idle_child(enum method m, int in[2], int up[2])
{
    pid_t pid;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        die("readlink(/proc/self/exe)");
    self[n] = '\0';
    char *const wait_argv[] = { self, "--child-wait", NULL };
    if (m == M_FORK) {
        if ((pid = fork()) < 0)
            die("fork()");
        if (pid == 0) {
            close(in[1]), close(up[0]);
            char c = 'r';
            if (fd_write_all(up[1], &c, 1) < 0)
                _exit(1);
            while (read(in[0], &c, 1) > 0)
                ;
            _exit(0);
        }
        return pid;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, up[1], 1);
    int rc = 0;
    if (m == M_SPAWN) {
        rc = posix_spawn(&pid, self, &fa, NULL, wait_argv, environ);
    } else {
        if ((pid = fork()) < 0)
            die("fork()");
        if (pid == 0) {
            if (dup2(in[0], 0) < 0 || dup2(up[1], 1) < 0)
                _exit(126);
            execv(self, wait_argv);
            _exit(127);
        }
    }
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        die("posix_spawn()");
    }
    return pid;
}

/* Start one idle child (or thread) of method m, measure its memory, then let it go. */
static void idle_memory(enum method m, struct mem *out)
{
    int in[2], up[2];           /* in: its stdin (we close it to end it); up: its "ready" */
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
        die("pipe2()");
    if (m == M_PTHREAD) {
        thread_memory(in, up, out);
        return;
    }
    pid_t pid = start_idle_child(m, in, up);
    close(in[0]);
    close(up[1]);
    char c;
    if (fd_read_all(up[0], &c, 1) != 1)
        die("waiting for the child to be ready");
    if (read_mem(pid, out) < 0)
        die("reading the child's /proc/PID/smaps_rollup");
    close(in[1]);
    close(up[0]);
    reap_child(pid);
}

static int cmp_ns(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static const char usage_text[] =
    "usage: startbench [--iterations N] [--quiet]\n"
    "Start-up time of fork, fork+exec, posix_spawn and pthread_create, and the\n"
    "memory (PSS) of one idle forked child, exec'd program and thread.\n"
    "  --iterations N  starts of each method; the median is reported (default 200)\n"
    "  --quiet         no progress on stderr\n"
    "Output: CSV on stdout, columns method,us,pss_kib,rss_kib,private_kib,pss_of,iterations.\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "iterations", required_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "child-wait", no_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long iters = 200;
    int quiet = 0, c;
    char *end;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            errno = 0;
            iters = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || iters < 1 || iters > ITER_MAX) {
                fprintf(stderr, "%s: bad value for --iterations: %s\n%s", prog, optarg,
                        usage_text);
                return EXIT_USAGE;
            }
            break;
        case 'q': quiet = 1; break;
        case 'w': return child_wait();
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default:
            fprintf(stderr, "%s: unknown option or missing value: %s\n%s", prog,
                    argv[optind - 1], usage_text);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument %s\n%s", prog, argv[optind], usage_text);
        return EXIT_USAGE;
    }

    uint64_t *ns = malloc((size_t)iters * sizeof *ns);
    if (!ns)
        die("malloc()");
    if (csv_meta(stdout, argc, argv) < 0)
        die("writing CSV metadata");
    printf("# iterations=%ld\n", iters);
    printf("method,us,pss_kib,rss_kib,private_kib,pss_of,iterations\n");
    /* Flush before the first fork(): a child inherits unflushed stdio buffers,
     * and one that flushes them on its way out (a sanitizer's exit path does)
     * would print the header twice. */
    fflush(stdout);
    for (int m = 0; m < M_COUNT; m++) {
        /* Memory first: after many pthread_create()s glibc keeps a cached, already
         * touched stack, and a new thread would look free. */
        struct mem mem;
        idle_memory((enum method)m, &mem);
        for (int i = 0; i < 3; i++)         /* warm the page cache and the allocator */
            start_once((enum method)m);
        for (long i = 0; i < iters; i++)
            ns[i] = start_once((enum method)m);
        qsort(ns, (size_t)iters, sizeof *ns, cmp_ns);
        double med = iters % 2 ? (double)ns[iters / 2]
                               : ((double)ns[iters / 2 - 1] + (double)ns[iters / 2]) / 2;
        printf("%s,%.2f,%ld,%ld,%ld,%s,%ld\n", method_names[m], med / 1000.0, mem.pss, mem.rss,
               mem.priv, pss_of[m], iters);
        fflush(stdout);
        if (!quiet)
            fprintf(stderr, "startup_memory: %d/%d %s: %.1f us (median of %ld), Pss %ld KiB "
                    "(%s), private %ld KiB\n", m + 1, M_COUNT, method_names[m], med / 1000.0,
                    iters, mem.pss, pss_of[m], mem.priv);
    }
    free(ns);
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the CSV");
    return EXIT_OK;
}
