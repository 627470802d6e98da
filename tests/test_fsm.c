/* test_fsm.c: the per-key state machine of SPEC §2, pair by pair, and the
 * --work kernel. */
#include <math.h>
#include <string.h>

#include "fsm.h"
#include "kit_test.h"

/* All 20 (op, state) pairs: the table of SPEC §2 written out in full, with
 * the state each pair leads to, or `invalid`. */
static const struct {
    enum op op;
    enum state from;
    bool valid;
    enum state to;              /* when valid */
} pairs[] = {
    { OP_START, ST_IDLE, true, ST_RUNNING },      { OP_START, ST_RUNNING, false, 0 },
    { OP_START, ST_PAUSED, false, 0 },            { OP_START, ST_STOPPED, true, ST_RUNNING },
    { OP_DATA, ST_IDLE, false, 0 },               { OP_DATA, ST_RUNNING, true, ST_RUNNING },
    { OP_DATA, ST_PAUSED, false, 0 },             { OP_DATA, ST_STOPPED, false, 0 },
    { OP_PAUSE, ST_IDLE, false, 0 },              { OP_PAUSE, ST_RUNNING, true, ST_PAUSED },
    { OP_PAUSE, ST_PAUSED, false, 0 },            { OP_PAUSE, ST_STOPPED, false, 0 },
    { OP_RESUME, ST_IDLE, false, 0 },             { OP_RESUME, ST_RUNNING, false, 0 },
    { OP_RESUME, ST_PAUSED, true, ST_RUNNING },   { OP_RESUME, ST_STOPPED, false, 0 },
    { OP_STOP, ST_IDLE, false, 0 },               { OP_STOP, ST_RUNNING, true, ST_STOPPED },
    { OP_STOP, ST_PAUSED, true, ST_STOPPED },     { OP_STOP, ST_STOPPED, false, 0 },
};
#define NPAIRS (int)(sizeof pairs / sizeof pairs[0])

/* Drive a fresh machine into `st` by valid transitions only. */
static void reach(struct keystate *ks, enum state st)
{
    fsm_init(ks, "k1", 2);
    if (st == ST_IDLE)
        return;
    ck_assert(fsm_apply(ks, OP_START, 0));
    if (st == ST_PAUSED)
        ck_assert(fsm_apply(ks, OP_PAUSE, 0));
    if (st == ST_STOPPED)
        ck_assert(fsm_apply(ks, OP_STOP, 0));
    ck_assert_int_eq(ks->state, st);
}

START_TEST(test_pair)
{
    struct keystate ks;
    reach(&ks, pairs[_i].from);
    struct keystate before = ks;
    bool valid = fsm_apply(&ks, pairs[_i].op, 5.0);
    const char *op = op_name(pairs[_i].op), *from = state_name(pairs[_i].from);
    ck_assert_msg(valid == pairs[_i].valid, "%s in %s: expected %s, got %s", op, from,
                  pairs[_i].valid ? "valid" : "invalid", valid ? "valid" : "invalid");
    ck_assert_msg(ks.messages == before.messages + 1, "%s in %s: messages must always grow by 1", op, from);
    enum state want = pairs[_i].valid ? pairs[_i].to : pairs[_i].from;
    ck_assert_msg(ks.state == want, "%s in %s: expected state %s, got %s", op, from, state_name(want),
                  state_name(ks.state));
    ck_assert_msg(ks.invalid == before.invalid + !pairs[_i].valid,
                  "%s in %s: expected invalid %llu, got %llu", op, from,
                  (unsigned long long)(before.invalid + !pairs[_i].valid), (unsigned long long)ks.invalid);
    bool applied_data = pairs[_i].op == OP_DATA && pairs[_i].valid;
    ck_assert_uint_eq(ks.data_count, before.data_count + applied_data);
    if (!applied_data)          /* only a valid DATA touches the statistics */
        ck_assert(ks.sum == before.sum && ks.feature_sum == before.feature_sum &&
                  ks.last == before.last);
}
END_TEST

START_TEST(test_data_stats)
{
    static const double v[] = { 12.5, -3.25, 100.0, 0.1, -50.0, 7.0, 0.1 };
    struct keystate ks;
    reach(&ks, ST_RUNNING);
    double sum = 0, fsum = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ck_assert(fsm_apply(&ks, OP_DATA, v[i]));
        sum += v[i];            /* the same additions in the same order: equal bit for bit */
        fsum += fsm_feature(v[i]);
    }
    ck_assert_uint_eq(ks.data_count, 7);
    ck_assert_uint_eq(ks.messages, 8);
    ck_assert_msg(ks.sum == sum, "sum: expected %.17g, got %.17g", sum, ks.sum);
    ck_assert_msg(ks.feature_sum == fsum, "feature_sum: expected %.17g, got %.17g", fsum, ks.feature_sum);
    ck_assert_msg(ks.min == -50.0 && ks.max == 100.0 && ks.last == 0.1,
                  "min/max/last: expected -50/100/0.1, got %g/%g/%g", ks.min, ks.max, ks.last);

    /* DATA outside RUNNING changes nothing but messages and invalid. */
    ck_assert(fsm_apply(&ks, OP_PAUSE, 0));
    struct keystate before = ks;
    ck_assert(!fsm_apply(&ks, OP_DATA, 1e6));
    ck_assert(ks.max == before.max && ks.last == before.last && ks.sum == before.sum);
    ck_assert_uint_eq(ks.data_count, before.data_count);

    /* The first DATA sets min and max, whatever the zero-initialised fields held. */
    reach(&ks, ST_RUNNING);
    ck_assert(fsm_apply(&ks, OP_DATA, 42.0));
    ck_assert(ks.min == 42.0 && ks.max == 42.0 && ks.last == 42.0 && ks.sum == 42.0);
}
END_TEST

START_TEST(test_feature)
{
    /* feature(v) = sqrt(|(v-20)/60|) * log(|v|+1) */
    ck_assert(fsm_feature(20.0) == 0.0);                    /* n = 0 */
    ck_assert(fsm_feature(0.0) == 0.0);                     /* log(1) = 0 */
    ck_assert(fsm_feature(80.0) == log(81.0));              /* n = 1 */
    ck_assert(fsm_feature(-40.0) == log(41.0));             /* n = -1 */
    double want = sqrt(fabs((140.0 - 20.0) / 60.0)) * log(141.0);
    ck_assert_msg(fsm_feature(140.0) == want, "feature(140): expected %.17g, got %.17g", want,
                  fsm_feature(140.0));
    ck_assert_msg(fabs(fsm_feature(140.0) - 6.998603) < 1e-6, "feature(140) = %.17g", fsm_feature(140.0));
}
END_TEST

START_TEST(test_init_and_seq)
{
    struct keystate ks;
    memset(&ks, 0x77, sizeof ks);
    fsm_init(&ks, "sensor-7.b", 10);
    ck_assert_str_eq(ks.key, "sensor-7.b");
    ck_assert_int_eq(ks.state, ST_IDLE);
    ck_assert(ks.messages == 0 && ks.data_count == 0 && ks.invalid == 0 && ks.sum == 0 &&
              ks.feature_sum == 0 && ks.last_seq == 0);

    struct msg m = { .op = OP_DATA, .has_value = true, .value = 3.0, .seq = 41 };
    ck_assert(!fsm_apply_msg(&ks, &m));         /* invalid in IDLE, and still recorded */
    ck_assert_uint_eq(ks.last_seq, 41);
    m.op = OP_START;
    m.seq = 42;
    ck_assert(fsm_apply_msg(&ks, &m));
    ck_assert_uint_eq(ks.last_seq, 42);
    ck_assert_uint_eq(ks.messages, 2);
}
END_TEST

START_TEST(test_state_names)
{
    static const char *names[] = { "IDLE", "RUNNING", "PAUSED", "STOPPED" };
    for (int i = 0; i < 4; i++) {
        enum state s;
        ck_assert_str_eq(state_name((enum state)i), names[i]);
        ck_assert_int_eq(state_parse(names[i], strlen(names[i]), &s), 0);
        ck_assert_int_eq(s, i);
    }
    enum state s;
    ck_assert_int_eq(state_parse("running", 7, &s), -1);
    ck_assert_int_eq(state_parse("RUNNINGX", 8, &s), -1);
    ck_assert_int_eq(state_parse("RUN", 3, &s), -1);
    ck_assert_str_eq(state_name((enum state)9), "?");
}
END_TEST

START_TEST(test_work_burn)
{
    ck_assert_uint_eq(work_burn(10, 5), work_burn(10, 5));
    ck_assert(work_burn(10, 5) != work_burn(11, 5));
    ck_assert(work_burn(10, 5) != work_burn(10, 6));
    ck_assert(work_burn(1, 0) != work_burn(0, 0));
    ck_assert_uint_eq(work_burn(0, 3), work_burn(0, 3));
    /* Every round counts: no two unit counts in 0..63 give the same result. */
    uint64_t seen[64];
    for (uint32_t u = 0; u < 64; u++) {
        seen[u] = work_burn(u, 1);
        for (uint32_t j = 0; j < u; j++)
            ck_assert_msg(seen[j] != seen[u], "work_burn(%u) == work_burn(%u)", u, j);
    }
}
END_TEST

static Suite *fsm_suite(void)
{
    const struct kit_case cases[] = {
        { "data_stats", test_data_stats, 5 },
        { "feature", test_feature, 5 },
        { "init_and_seq", test_init_and_seq, 5 },
        { "state_names", test_state_names, 5 },
        { "work_burn", test_work_burn, 5 },
    };
    Suite *s = kit_suite("fsm", cases, KIT_NELEM(cases));
    tcase_add_loop_test(kit_tcase(s, "pairs", 5), test_pair, 0, NPAIRS);
    return s;
}

KIT_TEST_MAIN(fsm_suite)
