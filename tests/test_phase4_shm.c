/* test_phase4_shm.c: phase 4's shared-memory parts, below the program: the
 * record ring (full, empty, wrapping, across a fork), the seqlocked row (a held
 * writer is never read; a writer thread and a writer process are never seen
 * half-way), and a worker's recovery from each instant a kill can leave
 * (phase4_shared/applier.h), checked against the state machine applied once. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applier.h"
#include "board.h"
#include "kit_test.h"
#include "recring.h"
#include "segment.h"
#include "statetab.h"

static struct board b;
static char err[256];

static void map(unsigned workers, uint64_t cap, uint64_t rows)
{
    ck_assert_msg(board_map(&b, workers, cap, rows, true, err, sizeof err) == 0, "board_map: %s", err);
}

/* ------------------------------------------------------------ ring */

START_TEST(test_ring_full_and_empty)
{
    map(1, 8, 1);
    struct recring *r = b.ring[0];
    ck_assert_ptr_null(recring_wait(r, 0, 1));
    ck_assert_int_eq(errno, ETIMEDOUT);
    for (uint64_t i = 0; i < 8; i++)
        ck_assert_int_eq(recring_push(r, &(struct rec){ .idx = (uint32_t)i, .seq = i }, 1), 0);
    ck_assert_msg(recring_push(r, &(struct rec){ .seq = 8 }, 1) < 0 && errno == ETIMEDOUT,
                  "a 9th record fit in a ring of 8");
    for (uint64_t i = 0; i < 8; i++) {
        const struct rec *rec = recring_wait(r, i, 1);
        ck_assert_msg(rec && rec->seq == i, "position %llu: expected seq %llu",
                      (unsigned long long)i, (unsigned long long)i);
        ck_assert(recring_holds(r, i));
        recring_release(r, i);
        ck_assert(!recring_holds(r, i));
    }
    ck_assert_ptr_null(recring_wait(r, 8, 1));
    board_unmap(&b);
}
END_TEST

/* A child consumes 200 000 records through a ring of 4 slots (50 000 wraps)
 * and exits 0 only if every seq came in order. */
START_TEST(test_ring_wraps_across_fork)
{
    int fds = kit_count_fds();
    map(1, 4, 1);
    const uint64_t n = 200000;
    pid_t pid = fork();
    if (pid == 0) {
        for (uint64_t pos = 0; pos < n; pos++) {
            const struct rec *rec;
            while (!(rec = recring_wait(b.ring[0], pos, 1000)))
                ;
            if (rec->seq != pos * 3)
                _exit(1);
            recring_release(b.ring[0], pos);
        }
        _exit(0);
    }
    for (uint64_t i = 0; i < n; i++)
        while (recring_push(b.ring[0], &(struct rec){ .seq = i * 3 }, 1000) < 0)
            ;
    ck_assert_int_eq(kit_reap_timeout(pid, 60), 0);
    board_unmap(&b);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ seqlock */

/* A row whose every counter is v: a torn copy mixes two values. */
static void row_of(struct rowdata *d, uint64_t v)
{
    memset(d, 0, sizeof *d);
    fsm_init(&d->ks, "k7", 2);
    d->applied = d->ks.messages = d->ks.data_count = d->ks.invalid = d->ks.last_seq = v;
    d->ks.sum = d->ks.min = d->ks.max = d->ks.last = d->ks.feature_sum = (double)v;
}

static int consistent(const struct rowdata *d)
{
    uint64_t v = d->applied;
    return strcmp(d->ks.key, "k7") == 0 && d->ks.messages == v && d->ks.data_count == v &&
           d->ks.invalid == v && d->ks.last_seq == v && d->ks.sum == (double)v &&
           d->ks.min == (double)v && d->ks.max == (double)v && d->ks.last == (double)v &&
           d->ks.feature_sum == (double)v;
}

START_TEST(test_read_finished_write)
{
    map(1, 2, 4);
    struct rowdata w, r;
    row_of(&w, 42);
    statetab_write(&b.rows[3], &w);
    ck_assert_int_eq(statetab_read(&b.rows[3], &r, READ_TRIES), 0);
    ck_assert_msg(memcmp(&w, &r, sizeof w) == 0, "the copy differs from the row written");
    board_unmap(&b);
}
END_TEST

/* The writer is held mid-update (seq odd, the words already the new ones): the
 * reader must not return them, however many tries it gets; once the write ends
 * it returns the new row. A reader that copies without checking seq returns
 * the half-written row here, every time. */
START_TEST(test_held_writer_is_not_read)
{
    map(1, 2, 1);
    struct rowdata old, new, got;
    row_of(&old, 1);
    row_of(&new, 2);
    statetab_write(&b.rows[0], &old);
    statetab_write_begin(&b.rows[0], &new);
    errno = 0;
    int rc = statetab_read(&b.rows[0], &got, 50);
    ck_assert_msg(rc == -1 && errno == EAGAIN,
                  "statetab_read returned %d (errno %d) on a row whose writer is mid-update "
                  "(seq odd): it must retry and give up with EAGAIN, not return the row (exercise "
                  "phase4-seqlock-read, statetab_read() in phase4_shared/statetab.c)", rc, errno);
    statetab_write_end(&b.rows[0]);
    ck_assert_int_eq(statetab_read(&b.rows[0], &got, 50), 0);
    ck_assert_msg(memcmp(&got, &new, sizeof got) == 0, "after the write ended: not the new row");
    board_unmap(&b);
}
END_TEST

static atomic_bool writing;

/* Writes without end, each followed by a gap of 0 to 63 atomic loads (v % 64):
 * the reader meets writes under way at every point of its copy, and windows
 * wide enough to finish one too. Without any gap, on two free cores the
 * writer can starve the reader for as long as it likes (the seqlock's known
 * price, not what this test is about): under ThreadSanitizer, where a copy of
 * 15 atomic words is slower than a write, 200000 reads then took minutes. The
 * gap is counted in atomic loads so that it slows down with the copy. */
static void *writer(void *arg)
{
    struct row *row = arg;
    struct rowdata d;
    for (uint64_t v = 1; atomic_load(&writing); v++) {
        row_of(&d, v);
        statetab_write(row, &d);
        for (uint64_t i = v % 64; i > 0 && atomic_load_explicit(&writing, memory_order_relaxed); i--)
            ;
    }
    return NULL;
}

/* Reads against a writer that never pauses (a thread, then a process): every
 * copy returned is one the writer wrote, never a mix. */
static void read_against_writer(struct row *row, int reads)
{
    struct rowdata d;
    int ok = 0;
    for (int i = 0; i < reads; i++) {
        if (statetab_read(row, &d, READ_TRIES) < 0)
            continue;
        ok++;
        ck_assert_msg(consistent(&d), "read %d returned a torn row: applied=%llu messages=%llu "
                      "sum=%g", i, (unsigned long long)d.applied,
                      (unsigned long long)d.ks.messages, d.ks.sum);
    }
    ck_assert_msg(ok > reads / 2, "only %d of %d reads succeeded", ok, reads);
}

START_TEST(test_never_torn_thread)
{
    map(1, 2, 1);
    struct rowdata d;
    row_of(&d, 0);
    statetab_write(&b.rows[0], &d);
    atomic_store(&writing, true);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, writer, &b.rows[0]), 0);
    read_against_writer(&b.rows[0], 200000);
    atomic_store(&writing, false);
    pthread_join(t, NULL);
    board_unmap(&b);
}
END_TEST

START_TEST(test_never_torn_process)
{
    int fds = kit_count_fds();
    map(1, 2, 1);
    struct rowdata d;
    row_of(&d, 0);
    statetab_write(&b.rows[0], &d);
    atomic_store(&writing, true);
    pid_t pid = fork();
    if (pid == 0) {
        writer(&b.rows[0]);     /* until killed */
        _exit(0);
    }
    read_against_writer(&b.rows[0], 200000);
    kill(pid, SIGKILL);
    ck_assert_int_eq(kit_reap_timeout(pid, 10), 128 + SIGKILL);
    board_unmap(&b);
    kit_assert_clean(fds);
}
END_TEST

/* ------------------------------------------------------------ recovery */

/* Row 0 of key "k1", created IDLE by the supervisor; the ring holds a START
 * for it (seq 5). want = the row after applying it once. */
static void setup_one_record(struct rowdata *want)
{
    map(1, 4, 2);
    struct rowdata d = { 0 };
    fsm_init(&d.ks, "k1", 2);
    statetab_write(&b.rows[0], &d);
    ck_assert_int_eq(recring_push(b.ring[0], &(struct rec){ .idx = 0, .op = OP_START, .seq = 5 }, 1), 0);
    *want = d;
    fsm_apply_msg(&want->ks, &(struct msg){ .op = OP_START, .seq = 5 });
    want->applied = 6;
}

/* Run a worker in slot 0 until the end record; return the row. */
static void finish(struct rowdata *got)
{
    ck_assert_int_eq(recring_push(b.ring[0], &(struct rec){ .idx = REC_STOP }, 1), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct applier a = { .board = &b, .index = 0, .parent = getppid() };
        _exit(applier_run(&a));
    }
    ck_assert_int_eq(kit_reap_timeout(pid, 10), 0);
    ck_assert_int_eq(statetab_read(&b.rows[0], got, 5), 0);
}

static void assert_row(const struct rowdata *got, const struct rowdata *want, const char *what)
{
    ck_assert_msg(got->applied == want->applied && got->ks.messages == want->ks.messages &&
                  got->ks.state == want->ks.state && memcmp(&got->ks, &want->ks, sizeof got->ks) == 0,
                  "%s: expected the record applied once (messages=%llu, state %s), got messages=%llu, "
                  "state %s", what, (unsigned long long)want->ks.messages, state_name(want->ks.state),
                  (unsigned long long)got->ks.messages, state_name(got->ks.state));
}

/* Killed in step 3: the redo copy is complete, the row is odd and half written. */
START_TEST(test_recover_torn_row)
{
    int fds = kit_count_fds();
    struct rowdata want, junk, got;
    setup_one_record(&want);
    atomic_store(&b.lane[0]->redo_idx, 0);
    statetab_write(&b.lane[0]->redo, &want);
    memset(&junk, 0x5a, sizeof junk);
    memcpy(junk.ks.key, "k1", 3);
    statetab_write_begin(&b.rows[0], &junk);            /* ...and the writer dies */
    struct applier a = { .board = &b, .index = 0, .parent = getpid() };
    ck_assert_int_eq(applier_recover(&a), 1);
    ck_assert(!statetab_busy(&b.rows[0]));
    finish(&got);
    assert_row(&got, &want, "torn row");
    ck_assert_uint_eq(atomic_load(&b.lane[0]->skipped), 1);
    board_unmap(&b);
    kit_assert_clean(fds);
}
END_TEST

/* Killed between step 3 and 4: applied, not consumed. Applied once, not twice. */
START_TEST(test_recover_applied_not_consumed)
{
    int fds = kit_count_fds();
    struct rowdata want, got;
    setup_one_record(&want);
    atomic_store(&b.lane[0]->redo_idx, 0);
    statetab_write(&b.lane[0]->redo, &want);
    statetab_write(&b.rows[0], &want);
    finish(&got);
    assert_row(&got, &want, "applied, not consumed");
    ck_assert_uint_eq(atomic_load(&b.lane[0]->skipped), 1);
    ck_assert_uint_eq(atomic_load(&b.lane[0]->redone), 0);
    board_unmap(&b);
    kit_assert_clean(fds);
}
END_TEST

/* Killed in step 4, tail moved, slot not released: the replacement releases it,
 * so the producer gets all 4 slots again. */
START_TEST(test_recover_consumed_not_released)
{
    int fds = kit_count_fds();
    struct rowdata want, got;
    setup_one_record(&want);
    statetab_write(&b.lane[0]->redo, &want);
    statetab_write(&b.rows[0], &want);
    atomic_store(board_tail(&b, 0), 1);
    struct applier a = { .board = &b, .index = 0, .parent = getpid() };
    applier_recover(&a);
    ck_assert(!recring_holds(b.ring[0], 0));
    for (uint64_t i = 0; i < 3; i++)    /* positions 1..3; position 4 reuses slot 0 */
        ck_assert_int_eq(recring_push(b.ring[0], &(struct rec){ .idx = 1, .op = OP_START, .seq = 10 + i }, 1), 0);
    struct rowdata r1 = { 0 };
    fsm_init(&r1.ks, "k2", 2);
    statetab_write(&b.rows[1], &r1);
    finish(&got);
    assert_row(&got, &want, "consumed, not released");
    ck_assert_int_eq(statetab_read(&b.rows[1], &r1, 5), 0);
    ck_assert_uint_eq(r1.ks.messages, 3);
    board_unmap(&b);
    kit_assert_clean(fds);
}
END_TEST

/* Killed while writing the redo copy (odd): the row was not touched; the
 * record is applied once from the ring. */
START_TEST(test_recover_torn_redo)
{
    int fds = kit_count_fds();
    struct rowdata want, junk, got;
    setup_one_record(&want);
    memset(&junk, 0x5a, sizeof junk);
    atomic_store(&b.lane[0]->redo_idx, 0);
    statetab_write_begin(&b.lane[0]->redo, &junk);
    struct applier a = { .board = &b, .index = 0, .parent = getpid() };
    ck_assert_int_eq(applier_recover(&a), 0);
    finish(&got);
    assert_row(&got, &want, "torn redo copy");
    board_unmap(&b);
    kit_assert_clean(fds);
}
END_TEST

static Suite *phase4_shm_suite(void)
{
    Suite *s = suite_create("phase4_shm");
    TCase *tc = kit_tcase(s, "ring", 60);
    tcase_add_test(tc, test_ring_full_and_empty);
    tcase_add_test(tc, test_ring_wraps_across_fork);
    tc = kit_tcase(s, "seqlock", 60);
    tcase_add_test(tc, test_read_finished_write);
    tcase_add_test(tc, test_held_writer_is_not_read);
    tcase_add_test(tc, test_never_torn_thread);
    tcase_add_test(tc, test_never_torn_process);
    tc = kit_tcase(s, "recovery", 60);
    tcase_add_test(tc, test_recover_torn_row);
    tcase_add_test(tc, test_recover_applied_not_consumed);
    tcase_add_test(tc, test_recover_consumed_not_released);
    tcase_add_test(tc, test_recover_torn_redo);
    return s;
}

KIT_TEST_MAIN(phase4_shm_suite)
