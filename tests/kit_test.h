/* kit_test.h: what every Check suite of the kit shares: where the programs are,
 * running one with a time limit and capturing what it prints, and the checks for
 * leaked fds and children that close a test. */
#ifndef KIT_TEST_H
#define KIT_TEST_H

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

/* The path of program `name` in the build being tested ($KIT_BIN, else "bin").
 * The string is static; up to 8 results can be held at once. */
const char *kit_bin(const char *name);

/* The path of `rel` in the source tree ($KIT_SRC, else "." since the suites
 * run from the repository root). Static like kit_bin's, 8 held at once. */
const char *kit_src(const char *rel);

struct kit_run {
    int status;                 /* exit status, 128+N if killed by signal N, -1 on timeout */
    char *out;                  /* everything written on stdout, NUL-terminated */
    size_t out_len;
    char *err;                  /* everything written on stderr, NUL-terminated */
    size_t err_len;
};

/* Run argv (argv[0] a path) with stdin_text on its stdin (NULL = /dev/null),
 * capturing stdout and stderr, killing it after timeout_s seconds (scaled by
 * CK_TIMEOUT_MULTIPLIER). Returns 0, or -1 if it could not be started. */
int kit_runv(struct kit_run *r, const char *stdin_text, double timeout_s, char *const argv[]);

/* The same with the arguments inline, NULL-terminated. */
int kit_run(struct kit_run *r, const char *stdin_text, double timeout_s, const char *prog, ...)
    __attribute__((sentinel));

void kit_run_free(struct kit_run *r);

/* Run argv as kit_runv does (no stdin), fail the test unless it exits with
 * want_status, and return its stdout (malloc'd; the caller frees it). */
char *kit_run_ok(int want_status, double timeout_s, char *const argv[]);

/* Fail the test unless `got` equals the reference dump `want` byte for byte;
 * the message names `what` and the first differing byte. */
void kit_assert_same_dump(const char *want, const char *got, const char *what);

/* A fresh private directory under $TMPDIR (or /tmp); the caller removes it with
 * kit_rmtree. Returns a malloc'd path. */
char *kit_tmpdir(void);
void kit_rmtree(const char *path);

/* Whole-file helpers. kit_read_file returns a malloc'd NUL-terminated buffer or NULL. */
char *kit_read_file(const char *path, size_t *len);
int kit_write_file(const char *path, const char *text);

/* Open fds of this process right now. */
int kit_count_fds(void);

/* The same, counted once libuv's signal pipe exists: the first uv_loop_init of
 * a process opens it and it lives until exit, which is not a leak of the test.
 * The baseline for a test that runs a libuv loop. */
int kit_count_fds_uv(void);

/* Reap any exited children; returns 1 if some child is still alive, 0 when
 * waitpid says ECHILD. */
int kit_children_alive(void);

/* The closing check of a test that forks or runs programs: as many fds open as
 * fds_before (its kit_count_fds() at the start) and no child left. A macro, so
 * that a failure names the test's own line. */
#define kit_assert_clean(fds_before) do {                                               \
        int kit_fds_ = (fds_before);                                                    \
        ck_assert_msg(kit_count_fds() == kit_fds_, "fds leaked: %d before, %d after",  \
                      kit_fds_, kit_count_fds());                                       \
        ck_assert_msg(!kit_children_alive(), "a child outlived the test");              \
    } while (0)

/* A program run in the background (fork + exec by the suite itself): */

/* Wait for pid to exit, killing it after seconds (scaled by
 * CK_TIMEOUT_MULTIPLIER) and failing the test then. Returns its exit status,
 * 128+N if killed by signal N. */
int kit_reap_timeout(pid_t pid, int seconds);

/* 1 while child pid has not exited (it is not reaped by asking). */
int kit_alive(pid_t pid);

/* Start argv (argv[0] a path) with its stdin on a pipe whose write end the
 * test gets in *in (close it for EOF; holding it open keeps the input
 * silent), stdout and stderr on /dev/null. Returns the child's pid. */
pid_t kit_spawn_stdin(char *const argv[], int *in);

/* A connected fd to the control socket at path, once child pid has made it;
 * fails the test if pid exits first or no socket appears within ~10 s
 * (scaled). */
int kit_connect_ctl(const char *path, pid_t pid);

/* The number after the first occurrence of name (e.g. "processed=") in a STATS
 * line; fails the test if name is not there. */
unsigned long long kit_stat_field(const char *stats, const char *name);

/* The text of column `name` in a program's --csv output ('#' metadata lines, a
 * header, one row), copied into buf ("" for an empty cell). Fails the test if
 * there is no header, no row or no such column. Returns buf. */
const char *kit_csv_cell(const char *out, const char *name, char *buf, size_t len);

/* Alive (not a zombie) pid's parent, or 0 if pid is gone or a zombie. */
pid_t kit_live_parent(pid_t pid);

/* Up to max live children of parent, found by scanning /proc (works without
 * /proc/PID/task/TID/children, which some kernels leave out). Returns the count. */
int kit_children_of(pid_t parent, pid_t *pids, int max);

/* Entries in /dev/shm now (0 if it does not exist): a test that runs a program
 * using shared memory compares the count before and after. */
int kit_shm_entries(void);

/* The count of /dev/shm entries once it is back to `before` or ~1 s (scaled)
 * has passed, whichever comes first. A program of the kit that leaked a
 * segment leaves it for good; an unrelated process on the machine (Python's
 * multiprocessing names its semaphores there for an instant) does not, so a
 * leak check compares this with the count taken before the run. */
int kit_shm_settled(int before);

/* Start argv (argv[0] a path) in the background with stdout and stderr on
 * /dev/null and stdin on a pipe whose write end goes to *in (close-on-exec),
 * or on /dev/null when in is NULL. Fails the test if fork fails. */
pid_t kit_spawn(char *const argv[], int *in);

/* Ask STATS on fd every 5 ms until its field name (e.g. "processed=") reaches
 * at_least, for at most ~10 s (scaled); the last answer is left in ans. Fails
 * the test if STATS goes unanswered. Returns the field's last value. */
unsigned long long kit_wait_stat(int fd, const char *name, unsigned long long at_least, char *ans,
                                 size_t len);

/* Sleep ms milliseconds (a pause between polls, never a wait for an event). */
void kit_sleep_ms(long ms);

/* The time scale for slow machines (CK_TIMEOUT_MULTIPLIER, default 1). */
double kit_time_scale(void);

/* One test case of a suite table: a TCase `name` (what CK_RUN_CASE selects)
 * holding the one test fn, with a time limit of timeout_s seconds per test
 * (Check scales it by CK_TIMEOUT_MULTIPLIER). */
struct kit_case {
    const char *name;
    const TTest *fn;
    double timeout_s;
};

/* A suite `name` with one TCase per entry of cases[0..n-1], in table order.
 * What a table cannot say (loop tests, exit tests, fixtures, several tests in
 * one TCase) the caller adds to the returned suite itself. */
Suite *kit_suite(const char *name, const struct kit_case *cases, size_t n);

/* A new, empty TCase `name` with a time limit of timeout_s seconds per test,
 * already added to s; the caller adds its tests (loop, exit, fixture...). */
TCase *kit_tcase(Suite *s, const char *name, double timeout_s);

/* The number of elements of array a (an array, not a pointer). */
#define KIT_NELEM(a) (sizeof (a) / sizeof (a)[0])

/* Run a suite in Check's fork mode and print, for each failure, the command that
 * reruns just that test case. Returns the process exit status. */
int kit_main(Suite *s);

#define KIT_TEST_MAIN(suite_fn) \
    int main(void) { return kit_main(suite_fn()); }

#endif
