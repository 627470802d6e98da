/* kit_test.c: shared helpers for the Check suites (see kit_test.h). */
#include "kit_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "ctlclient.h"

/* "$env/rel" ("fallback/rel" when $env is unset or empty), written into the
 * next of the 8 buffers of ring: a caller may hold 8 results at once. */
static const char *ring_path(char ring[8][1024], unsigned *next, const char *env,
                             const char *fallback, const char *rel)
{
    const char *dir = getenv(env);
    char *p = ring[(*next)++ % 8];
    snprintf(p, 1024, "%s/%s", dir && *dir ? dir : fallback, rel);
    return p;
}

const char *kit_bin(const char *name)
{
    static char paths[8][1024];
    static unsigned next;
    return ring_path(paths, &next, "KIT_BIN", "bin", name);
}

const char *kit_src(const char *rel)
{
    static char paths[8][1024];
    static unsigned next;
    return ring_path(paths, &next, "KIT_SRC", ".", rel);
}

double kit_time_scale(void)
{
    const char *s = getenv("CK_TIMEOUT_MULTIPLIER");
    double v = s ? strtod(s, NULL) : 1.0;
    return v > 0 ? v : 1.0;
}

static char *slurp_fd(int fd, size_t *len)
{
    struct stat st;
    char *buf;
    if (fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1)))
        return NULL;
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

int kit_runv(struct kit_run *r, const char *stdin_text, double timeout_s, char *const argv[])
{
    memset(r, 0, sizeof *r);
    int out = memfd_create("kit-stdout", MFD_CLOEXEC);
    int err = memfd_create("kit-stderr", MFD_CLOEXEC);
    int in = memfd_create("kit-stdin", MFD_CLOEXEC);
    if (out < 0 || err < 0 || in < 0)
        goto fail;
    if (stdin_text) {
        size_t n = strlen(stdin_text);
        if (write(in, stdin_text, n) != (ssize_t)n)
            goto fail;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        if (lseek(in, 0, SEEK_SET) < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execv(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    /* Poll rather than block: the child must not outlive its time limit. */
    long waited_ms = 0, limit_ms = (long)(timeout_s * kit_time_scale() * 1000);
    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            goto fail;
        if (waited_ms >= limit_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            r->status = -1;
            goto collect;
        }
        nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
        waited_ms += 5;
    }
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
collect:
    r->out = slurp_fd(out, &r->out_len);
    r->err = slurp_fd(err, &r->err_len);
    close(out), close(err), close(in);
    return r->out && r->err ? 0 : -1;
fail:
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    if (in >= 0) close(in);
    return -1;
}

int kit_run(struct kit_run *r, const char *stdin_text, double timeout_s, const char *prog, ...)
{
    char *argv[64];
    int n = 0;
    va_list ap;
    va_start(ap, prog);
    for (const char *a = prog; a && n < 63; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return kit_runv(r, stdin_text, timeout_s, argv);
}

void kit_run_free(struct kit_run *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

char *kit_run_ok(int want_status, double timeout_s, char *const argv[])
{
    struct kit_run r;
    ck_assert_int_eq(kit_runv(&r, NULL, timeout_s, argv), 0);
    ck_assert_msg(r.status == want_status, "%s %s ...: expected exit %d, got %d; stderr: %s",
                  argv[0], argv[1] ? argv[1] : "", want_status, r.status, r.err);
    char *out = r.out;
    r.out = NULL;
    kit_run_free(&r);
    return out;
}

void kit_assert_same_dump(const char *want, const char *got, const char *what)
{
    ck_assert_msg(strncmp(want, "key,state,", 10) == 0, "reference printed no dump: %.80s", want);
    size_t wl = strlen(want), gl = strlen(got), i = 0;
    while (i < wl && i < gl && want[i] == got[i])
        i++;
    ck_assert_msg(wl == gl && i == wl,
                  "%s: dump differs from bin/reference at byte %zu (%zu vs %zu bytes): "
                  "expected '%.60s', got '%.60s'", what, i, gl, wl, want + i, got + i);
}

char *kit_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p;
    if (asprintf(&p, "%s/kit-test-XXXXXX", base && *base ? base : "/tmp") < 0)
        return NULL;
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void kit_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *kit_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t n = 0;
    char *buf = slurp_fd(fd, len ? len : &n);
    close(fd);
    return buf;
}

int kit_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int kit_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;               /* not the directory stream's own fd */
}

int kit_count_fds_uv(void)
{
    uv_loop_t warm;
    if (uv_loop_init(&warm) == 0)
        uv_loop_close(&warm);
    return kit_count_fds();
}

int kit_children_alive(void)
{
    for (;;) {
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w > 0)
            continue;
        if (w < 0 && errno == EINTR)
            continue;
        return w == 0;          /* 0: some alive, none exited; -1/ECHILD: none */
    }
}

void kit_sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

TCase *kit_tcase(Suite *s, const char *name, double timeout_s)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout_s);
    suite_add_tcase(s, tc);     /* Check keeps the pointer: tests added later count */
    return tc;
}

int kit_reap_timeout(pid_t pid, int seconds)
{
    for (int i = 0; i < seconds * 100 * kit_time_scale(); i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        kit_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_abort_msg("pid %d did not exit within %d s", (int)pid, seconds);
    return -1;
}

int kit_alive(pid_t pid)
{
    return waitpid(pid, NULL, WNOHANG) == 0;
}

/* The program makes its socket some time after exec: poll for it, and stop
 * waiting as soon as the program has died (it never will then). */
pid_t kit_spawn_stdin(char *const argv[], int *in)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(p[0], 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[0]);
    *in = p[1];
    return pid;
}

int kit_connect_ctl(const char *path, pid_t pid)
{
    for (int i = 0; i < 1000 * kit_time_scale(); i++) {
        int fd = ctlclient_open(path, 1000);
        if (fd >= 0)
            return fd;
        ck_assert_msg(kit_alive(pid), "the program exited before opening %s", path);
        kit_sleep_ms(10);
    }
    ck_abort_msg("no control socket at %s", path);
    return -1;
}

const char *kit_csv_cell(const char *out, const char *name, char *buf, size_t len)
{
    const char *hdr = out, *nl;
    while (*hdr == '#' && (nl = strchr(hdr, '\n')))
        hdr = nl + 1;
    nl = *hdr == '#' ? NULL : strchr(hdr, '\n');
    ck_assert_msg(nl && nl[1], "no CSV header and row in: %.300s", out);
    const char *row = nl + 1;
    size_t n = strlen(name);
    for (;;) {
        size_t hl = strcspn(hdr, ",\n"), rl = strcspn(row, ",\n");
        if (hl == n && strncmp(hdr, name, n) == 0) {
            snprintf(buf, len, "%.*s", (int)rl, row);
            return buf;
        }
        ck_assert_msg(hdr[hl] == ',' && row[rl] == ',', "no column %s in: %.300s", name, out);
        hdr += hl + 1;
        row += rl + 1;
    }
}

unsigned long long kit_stat_field(const char *stats, const char *name)
{
    const char *p = strstr(stats, name);
    ck_assert_msg(p, "STATS has no %s: '%s'", name, stats);
    return strtoull(p + strlen(name), NULL, 10);
}

Suite *kit_suite(const char *name, const struct kit_case *cases, size_t n)
{
    Suite *s = suite_create(name);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(kit_tcase(s, cases[i].name, cases[i].timeout_s), cases[i].fn);
    return s;
}

int kit_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    if (failed) {
        TestResult **res = srunner_failures(sr);
        char self[512];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        for (int i = 0; i < failed; i++)
            fprintf(stderr, "  rerun just this case: CK_RUN_CASE='%s' KIT_BIN=%s %s\n",
                    tr_tcname(res[i]), getenv("KIT_BIN") ? getenv("KIT_BIN") : "bin", self);
        free(res);
    }
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

pid_t kit_live_parent(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');     /* the name may hold spaces and parens */
    char st;
    long ppid;
    if (!rp || sscanf(rp + 1, " %c %ld", &st, &ppid) != 2 || st == 'Z' || st == 'X')
        return 0;
    return (pid_t)ppid;
}

int kit_children_of(pid_t parent, pid_t *pids, int max)
{
    DIR *d = opendir("/proc");
    ck_assert_msg(d, "opendir /proc: %s", strerror(errno));
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < max;) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end == '\0' && pid > 0 && kit_live_parent((pid_t)pid) == parent)
            pids[n++] = (pid_t)pid;
    }
    closedir(d);
    return n;
}

int kit_shm_entries(void)
{
    DIR *d = opendir("/dev/shm");
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

int kit_shm_settled(int before)
{
    int n = kit_shm_entries();
    for (int i = 0; n > before && i < (int)(100 * kit_time_scale()); i++) {
        kit_sleep_ms(10);
        n = kit_shm_entries();
    }
    return n;
}

pid_t kit_spawn(char *const argv[], int *in)
{
    int p[2] = { -1, -1 };
    if (in)
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(in ? p[0] : null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    if (in) {
        close(p[0]);
        *in = p[1];
    }
    return pid;
}

unsigned long long kit_wait_stat(int fd, const char *name, unsigned long long at_least, char *ans,
                                 size_t len)
{
    unsigned long long v = 0;
    for (int i = 0; i < 2000 * kit_time_scale(); i++) {
        ck_assert_msg(ctlclient_request(fd, "STATS", ans, len, 20000) > 0, "no answer to STATS");
        if ((v = kit_stat_field(ans, name)) >= at_least)
            break;
        kit_sleep_ms(5);
    }
    return v;
}
