/* test_taskq.c: the shared-memory task ring (in-process: full, empty, wrap,
 * range claims, orphans) and bin/taskq (every task exactly once through 1..4
 * workers, a tiny ring wrapping many times, a worker SIGKILLed mid-batch and in
 * its claim window, the workers gone when the supervisor is SIGKILLed, bad
 * geometries refused, nothing leaked). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit_test.h"
#include "taskarena.h"
#include "taskring.h"

#define T 120                   /* seconds one program run may take */

static void assert_clean(int fds, int shm)
{
    kit_assert_clean(fds);
    ck_assert_msg(kit_shm_entries() == shm, "/dev/shm had %d entries before, %d after", shm, kit_shm_entries());
}

/* A ring in plain memory (one process is enough for the sequence logic). */
static struct taskring *ring_new(uint32_t slots, uint32_t sb, void **mem)
{
    *mem = aligned_alloc(64, (taskring_bytes(slots, sb) + 63) / 64 * 64);
    memset(*mem, 0, taskring_bytes(slots, sb));
    return taskring_init(*mem, slots, sb);
}

static struct taskring_holder *holder_new(uint32_t sb, uint32_t batch)
{
    size_t n = (taskring_holder_bytes(sb, batch) + 63) / 64 * 64;
    struct taskring_holder *h = aligned_alloc(64, n);
    memset(h, 0, n);
    return h;
}

/* Fill to full, then drain and refill for many laps of a 4-slot ring: full is
 * never mistaken for empty (MPOP's wedge), and order and ids survive the wrap. */
START_TEST(test_ring_full_and_wrap)
{
    void *mem;
    struct taskring *r = ring_new(4, 64, &mem);
    struct taskring_holder *h = holder_new(64, 3);
    struct task t = { 0 };
    uint64_t next_push = 0, next_claim = 0;
    for (int lap = 0; lap < 20000; lap++) {
        while (t.id = next_push, taskring_try_push(r, &t, NULL) == 0)
            next_push++;
        ck_assert_msg(next_push - next_claim == 4, "lap %d: ring took %llu tasks, expected 4 (full)",
                      lap, (unsigned long long)(next_push - next_claim));
        int k = taskring_claim(r, h, 3, NULL);
        ck_assert_msg(k == 3, "lap %d: claimed %d of 4 ready tasks with max 3", lap, k);
        for (int i = 0; i < k; i++) {
            uint64_t id = taskring_local(h, 64, (uint32_t)i)->t.id;
            ck_assert_msg(id == next_claim, "lap %d: got task %llu, expected %llu", lap,
                          (unsigned long long)id, (unsigned long long)next_claim);
            next_claim++;
        }
        taskring_retire(h);
    }
    /* Drain: the last one, then empty and closed returns 0 without sleeping. */
    ck_assert_int_eq(taskring_claim(r, h, 8, NULL), 1);
    taskring_retire(h);
    taskring_close(r);
    ck_assert_int_eq(taskring_claim(r, h, 8, NULL), 0);
    ck_assert_msg(taskring_head(r) == taskring_tail(r), "head %llu tail %llu",
                  (unsigned long long)taskring_head(r), (unsigned long long)taskring_tail(r));
    free(h);
    free(mem);
}
END_TEST

/* Three consumer processes drain a shared ring of 100000 tasks; each records
 * every task it claims in a shared per-task counter. The truth is what this
 * test sums itself: every id claimed exactly once, and the ids claimed add up
 * to n(n-1)/2; the program's own verifier is not involved. */
START_TEST(test_ring_consumers_exactly_once)
{
    enum { N = 100000, C = 3, B = 8 };
    const uint32_t slots = 64, sb = 64;
    size_t ring_len = (taskring_bytes(slots, sb) + 63) / 64 * 64;
    size_t hold_len = (taskring_holder_bytes(sb, B) + 63) / 64 * 64;
    size_t len = ring_len + C * hold_len + N * sizeof(_Atomic uint32_t);
    uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(mem, MAP_FAILED);
    struct taskring *r = taskring_init(mem, slots, sb);
    _Atomic uint32_t *seen = (_Atomic uint32_t *)(mem + ring_len + C * hold_len);
    pid_t pid[C];
    for (int c = 0; c < C; c++) {
        pid[c] = fork();
        ck_assert_int_ge(pid[c], 0);
        if (pid[c] == 0) {
            struct taskring_holder *h = (struct taskring_holder *)(mem + ring_len + (size_t)c * hold_len);
            for (int k; (k = taskring_claim(r, h, B, NULL)) != 0;) {
                if (k < 0 && k != -1)
                    _exit(3);           /* TASKRING_CLAIM_BROKEN */
                for (int i = 0; i < k; i++) {
                    uint64_t id = taskring_local(h, sb, (uint32_t)i)->t.id;
                    if (id >= N)
                        _exit(4);
                    atomic_fetch_add(&seen[id], 1);
                }
                taskring_retire(h);
            }
            _exit(0);
        }
    }
    struct task t = { 0 };
    for (uint64_t id = 0; id < N; id++) {
        t.id = id;
        while (taskring_push(r, &t, NULL, -1) < 0)
            ;
    }
    taskring_close(r);
    for (int c = 0; c < C; c++) {
        int st = kit_reap_timeout(pid[c], 60);
        ck_assert_msg(st == 0, "consumer %d: exit status %d (3: impossible claim, 4: bad id)", c, st);
    }
    uint64_t once = 0, sum = 0;
    for (uint64_t id = 0; id < N; id++) {
        uint32_t n = atomic_load(&seen[id]);
        ck_assert_msg(n == 1, "task %llu was claimed %u times, expected exactly once", (unsigned long long)id, n);
        once++, sum += id;
    }
    ck_assert_msg(once == N && sum == (uint64_t)N * (N - 1) / 2, "%llu tasks, id sum %llu, expected %d and %llu",
                  (unsigned long long)once, (unsigned long long)sum, N, (unsigned long long)N * (N - 1) / 2);
    munmap(mem, len);
}
END_TEST

static size_t orphans_seen;
static uint64_t orphan_ids;
static void count_orphan(const struct task_slot *s, void *arg)
{
    (void)arg;
    orphans_seen++;
    orphan_ids += s->t.id;
}

static jmp_buf in_window;
static void die_here(void)
{
    longjmp(in_window, 1);      /* leave try_claim after the CAS, before the copy */
}

/* A consumer that "dies" after its CAS and before its copy leaves its slots
 * claimed below the tail, listed in no holder: taskring_orphans finds exactly
 * those and gives the slots back, so the producer does not wedge on them. */
START_TEST(test_ring_orphans)
{
    void *mem;
    struct taskring *r = ring_new(8, 64, &mem);
    struct taskring_holder *h = holder_new(64, 4);
    struct task t = { 0 };
    for (t.id = 0; t.id < 8; t.id++)
        ck_assert_int_eq(taskring_try_push(r, &t, NULL), 0);
    ck_assert_int_eq(taskring_try_push(r, &t, NULL), -1);     /* full */
    if (setjmp(in_window) == 0)
        taskring_claim(r, h, 3, die_here);
    ck_assert_msg(taskring_tail(r) == 3, "tail %llu after the claim, expected 3",
                  (unsigned long long)taskring_tail(r));
    ck_assert_msg(taskring_holder_epoch(h) & 1, "epoch should be odd inside the window");
    ck_assert_int_eq(atomic_load(&h->local_n), 0);
    ck_assert_int_eq(taskring_try_push(r, &t, NULL), -1);     /* still full: slots held */
    orphans_seen = 0, orphan_ids = 0;
    ck_assert_int_eq(taskring_orphans(r, taskring_tail(r), count_orphan, NULL), 3);
    ck_assert_msg(orphans_seen == 3 && orphan_ids == 0 + 1 + 2, "orphans %zu, id sum %llu",
                  orphans_seen, (unsigned long long)orphan_ids);
    for (int i = 0; i < 3; i++, t.id++)
        ck_assert_msg(taskring_try_push(r, &t, NULL) == 0, "slot %d not given back", i);
    /* A second scan finds nothing: each orphan is reported once. */
    ck_assert_int_eq(taskring_orphans(r, taskring_tail(r), count_orphan, NULL), 0);
    free(h);
    free(mem);
}
END_TEST

START_TEST(test_arena_reuse)
{
    void *mem = calloc(1, taskarena_bytes(256));
    struct taskarena *a = taskarena_init(mem, 256);
    int64_t offs[64];
    int n = 0;
    while ((offs[n] = taskarena_alloc(a, 40)) >= 0)
        n++;
    ck_assert_msg(n >= 4 && n <= 6, "a 256-byte arena held %d blocks of 40", n);
    for (int lap = 0; lap < 1000; lap++) {        /* free the oldest, allocate again: wraps */
        taskarena_free(a, (uint32_t)offs[0]);
        memmove(offs, offs + 1, (size_t)(n - 1) * sizeof offs[0]);
        offs[n - 1] = taskarena_alloc(a, 40);
        ck_assert_msg(offs[n - 1] >= 0, "lap %d: no room after a free", lap);
    }
    ck_assert_int_eq(taskarena_alloc(a, 300), -1);   /* never fits */
    free(mem);
}
END_TEST

/* ---------------------------------------------------------------- bin/taskq */

static void run_taskq(const char *what, struct kit_run *r, char *const argv[])
{
    ck_assert_int_eq(kit_runv(r, NULL, T, argv), 0);
    ck_assert_msg(r->status == 0, "%s: exit %d, stderr: %s", what, r->status, r->err);
    ck_assert_msg(strstr(r->err, "taskq: verified:"), "%s: no verification line: %s", what, r->err);
    ck_assert_msg(strstr(r->err, " 0 never, 0 more than once"), "%s: %s", what, r->err);
    ck_assert_msg(strstr(r->err, "; 0 duplicate deliveries skipped"), "%s: %s", what, r->err);
}

START_TEST(test_million_exactly_once)
{
    int fds = kit_count_fds(), shm = kit_shm_entries();
    char w[8];
    snprintf(w, sizeof w, "%d", _i);
    char *argv[] = { (char *)kit_bin("taskq"), "--workers", w, "--tasks", "1000000", "--batch", "32", NULL };
    struct kit_run r;
    run_taskq("1M empty tasks", &r, argv);
    ck_assert_msg(strstr(r.err, "1000000 of 1000000 tasks ran exactly once"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "id sum 499999500000 (expected 499999500000)"), "%s", r.err);
    kit_run_free(&r);
    assert_clean(fds, shm);
}
END_TEST

START_TEST(test_tiny_ring_wraps)
{
    int fds = kit_count_fds(), shm = kit_shm_entries();
    char *argv[] = { (char *)kit_bin("taskq"), "--slots", "4", "--workers", "3", "--batch", "3",
                     "--tasks", "200000", "--fn", "sumsq", NULL };
    struct kit_run r;
    run_taskq("4-slot ring", &r, argv);
    ck_assert_msg(strstr(r.err, "every value equals a sequential recheck"), "%s", r.err);
    kit_run_free(&r);
    assert_clean(fds, shm);
}
END_TEST

/* Worker 0 SIGKILLs itself: mid-batch (its local queue holds the rest), and
 * inside its claim window (claimed, not copied: orphans). Either way every task
 * runs exactly once and the summary says what was re-enqueued. */
START_TEST(test_kill_mid_batch)
{
    int fds = kit_count_fds(), shm = kit_shm_entries();
    char *argv[] = { (char *)kit_bin("taskq"), "--workers", "3", "--tasks", "100000", "--batch", "16",
                     "--fn", "checksum", "--task-bytes", "200", "--slot-bytes", "128",
                     "--kill-worker-after", "3000", NULL };
    struct kit_run r;
    run_taskq("kill mid-batch", &r, argv);
    ck_assert_msg(strstr(r.err, "1 worker(s) died holding tasks"), "%s", r.err);
    ck_assert_msg(!strstr(r.err, "re-enqueued 0 from their local queues"), "nothing re-enqueued: %s", r.err);
    kit_run_free(&r);
    assert_clean(fds, shm);
}
END_TEST

START_TEST(test_kill_in_window)
{
    int fds = kit_count_fds(), shm = kit_shm_entries();
    char *argv[] = { (char *)kit_bin("taskq"), "--workers", "3", "--tasks", "100000", "--batch", "8",
                     "--slots", "64", "--kill-worker-after", "2000", "--kill-in-window", NULL };
    struct kit_run r;
    run_taskq("kill in window", &r, argv);
    ck_assert_msg(strstr(r.err, "1 worker(s) died holding tasks"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "orphaned in a claim window") && !strstr(r.err, " and 0 orphaned"),
                  "no orphan recovered: %s", r.err);
    kit_run_free(&r);
    assert_clean(fds, shm);
}
END_TEST

/* A hung worker: worker 0 SIGSTOPs itself mid-batch, holding claimed tasks.
 * The supervisor must kill it after --hang-ms and run what it held elsewhere.
 * The truth is computed here, not taken from taskq's verdict: every id appears
 * once in --results with runs == 1 and the value sumsq gives it, (3 + id)^2. */
START_TEST(test_hung_worker)
{
    enum { TASKS = 20000 };
    int fds = kit_count_fds(), shm = kit_shm_entries();
    char *dir = kit_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *argv[] = { (char *)kit_bin("taskq"), "--workers", "2", "--tasks", "20000", "--fn", "sumsq",
                     "--args", "3", "--batch", "16", "--stop-worker-after", "500", "--hang-ms", "300",
                     "--results", path, NULL };
    struct kit_run r;
    run_taskq("hung worker", &r, argv);
    ck_assert_msg(strstr(r.err, "with no progress for") && strstr(r.err, "1 of them held a claim"),
                  "the hang was not detected: %s", r.err);
    char *csv = kit_read_file(path, NULL);
    ck_assert_msg(csv && !strncmp(csv, "id,runs,worker,value\n", 21), "no results file: %s", path);
    static unsigned char seen[TASKS];
    memset(seen, 0, sizeof seen);
    uint64_t rows = 0, sum = 0, want = 0;
    for (char *line = strchr(csv, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        unsigned long long id, value;
        unsigned runs, worker;
        ck_assert_msg(sscanf(line, "%llu,%u,%u,%llu", &id, &runs, &worker, &value) == 4 && id < TASKS,
                      "bad row: %.40s", line);
        ck_assert_msg(runs == 1, "task %llu ran %u times", id, runs);
        ck_assert_msg(!seen[id]++, "task %llu listed twice", id);
        ck_assert_msg(value == (3 + id) * (3 + id), "task %llu: value %llu", id, value);
        rows++, sum += value;
    }
    for (uint64_t i = 0; i < TASKS; i++)
        want += (3 + i) * (3 + i);
    ck_assert_msg(rows == TASKS && sum == want, "%llu rows, sum %llu, expected %d rows, sum %llu",
                  (unsigned long long)rows, (unsigned long long)sum, TASKS, (unsigned long long)want);
    free(csv);
    kit_run_free(&r);
    kit_rmtree(dir);
    free(dir);
    assert_clean(fds, shm);
}
END_TEST

/* SIGKILL bin/taskq's supervisor in the middle of a long run: nobody is left to
 * close the ring, yet within 2 s (x kit_time_scale) no worker is alive
 * (PR_SET_PDEATHSIG), and /dev/shm holds nothing new (the ring is an anonymous
 * shared mapping: it goes with its last process). _i: shm, dynamic, static. */
START_TEST(test_supervisor_killed)
{
    static const char *schemes[] = { "shm", "dynamic", "static" };
    enum { WORKERS = 3 };       /* as --workers below */
    int fds = kit_count_fds(), shm = kit_shm_entries();
    /* 1 M tasks of ~0.5 ms each (spin 1000 units): minutes of work, so the run is
     * surely in the middle when it is killed. */
    char *argv[] = { (char *)kit_bin("taskq"), "--scheme", (char *)schemes[_i], "--workers", "3",
                     "--tasks", "1000000", "--fn", "spin", "--args", "1000", "--batch", "1",
                     "--quiet", NULL };
    pid_t sup = fork();
    ck_assert_msg(sup >= 0, "fork: %s", strerror(errno));
    if (sup == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    pid_t pids[WORKERS + 1];
    int n = 0;
    for (int ms = 0; ms < 10000 * kit_time_scale() && n < WORKERS; ms += 10) {
        n = kit_children_of(sup, pids, WORKERS + 1);
        if (n < WORKERS)
            kit_sleep_ms(10);
    }
    if (n < WORKERS) {
        kill(sup, SIGKILL);
        waitpid(sup, NULL, 0);
        ck_abort_msg("--scheme %s: found %d worker processes of taskq, expected %d", schemes[_i],
                     n, WORKERS);
    }
    ck_assert_int_eq(kill(sup, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(sup, &st, 0), sup);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "--scheme %s: taskq ended before "
                  "the SIGKILL (status 0x%x): the run was too short", schemes[_i], st);
    int alive = n;
    for (int ms = 0; ms <= 2000 * kit_time_scale() && alive; ms += 20) {
        alive = 0;
        for (int i = 0; i < n; i++)
            alive += kit_live_parent(pids[i]) != 0;
        if (alive)
            kit_sleep_ms(20);
    }
    for (int i = 0; alive && i < n; i++)    /* don't leave them spinning */
        kill(pids[i], SIGKILL);
    ck_assert_msg(alive == 0, "--scheme %s: %d of %d workers still alive 2 s after the supervisor "
                  "was SIGKILLed", schemes[_i], alive, n);
    assert_clean(fds, shm);
}
END_TEST

START_TEST(test_bad_geometry_refused)
{
    static const char *cases[][2] = {
        { "--slots", "1000" }, { "--slots", "3" }, { "--slots", "0" },
        { "--slot-bytes", "100" }, { "--slot-bytes", "32" }, { "--slot-bytes", "8192" },
    };
    int fds = kit_count_fds();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("taskq"), cases[i][0], cases[i][1], NULL), 0);
        ck_assert_msg(r.status == 2, "%s %s: exit %d, expected 2", cases[i][0], cases[i][1], r.status);
        ck_assert_msg(strstr(r.err, cases[i][0]) && strstr(r.err, "usage:"), "%s %s: %s",
                      cases[i][0], cases[i][1], r.err);
        kit_run_free(&r);
    }
    ck_assert_int_eq(fds, kit_count_fds());
}
END_TEST

START_TEST(test_schemes_and_csv)
{
    static const char *schemes[] = { "shm", "dynamic", "static" };
    int fds = kit_count_fds(), shm = kit_shm_entries();
    for (int i = 0; i < 3; i++) {
        char *argv[] = { (char *)kit_bin("taskq"), "--scheme", (char *)schemes[i], "--tasks", "20000",
                         "--fn", "prime", "--csv", NULL };
        struct kit_run r;
        run_taskq(schemes[i], &r, argv);
        char want[64];
        snprintf(want, sizeof want, "\n%s,20000,2,prime,", schemes[i]);
        ck_assert_msg(strstr(r.out, "scheme,tasks,workers,fn,batch,slots,slot_bytes,seconds,tasks_per_s,"),
                      "%s: no CSV header: %s", schemes[i], r.out);
        ck_assert_msg(strstr(r.out, want), "%s: no CSV row: %s", schemes[i], r.out);
        kit_run_free(&r);
    }
    assert_clean(fds, shm);
}
END_TEST

static Suite *taskq_suite(void)
{
    const struct kit_case cases[] = {
        { "wrap", test_tiny_ring_wraps, 150 },
        { "refuse", test_bad_geometry_refused, 30 },
        { "schemes", test_schemes_and_csv, 150 },
    };
    Suite *s = kit_suite("taskq", cases, KIT_NELEM(cases));
    TCase *tc = kit_tcase(s, "ring", 30);
    tcase_add_test(tc, test_ring_full_and_wrap);
    tcase_add_test(tc, test_ring_orphans);
    tcase_add_test(tc, test_ring_consumers_exactly_once);
    tcase_add_test(tc, test_arena_reuse);
    tcase_add_loop_test(kit_tcase(s, "exactly_once", 150), test_million_exactly_once, 1, 5);
    tc = kit_tcase(s, "crash", 150);
    tcase_add_test(tc, test_kill_mid_batch);
    tcase_add_test(tc, test_kill_in_window);
    tcase_add_test(tc, test_hung_worker);
    tcase_add_loop_test(tc, test_supervisor_killed, 0, 3);
    return s;
}

KIT_TEST_MAIN(taskq_suite)
