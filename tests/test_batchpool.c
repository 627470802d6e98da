/* test_batchpool.c: Lecture 36's batch pool. The batch function against its
 * formula, the msgpack round trip, and bin/batchpool: results equal to the
 * sequential run (checksum and every emitted row) for B = 1, 7, 1000. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchrec.h"
#include "kit_test.h"

#define T 60

START_TEST(test_process_record_batch)
{
    struct sensor_record in[3] = { { 0, 20.0 }, { 1, 80.0 }, { 2, -5.5 } };
    struct record_result out[3];
    process_record_batch(in, 3, out);
    ck_assert_msg(out[0].normalized == 0.0 && out[0].feature == 0.0, "v=20: %g %g", out[0].normalized, out[0].feature);
    ck_assert_msg(out[1].normalized == 1.0 && fabs(out[1].feature - log(81.0)) < 1e-15, "v=80: %g", out[1].feature);
    double n = (-5.5 - 20.0) / 60.0;
    ck_assert_msg(out[2].normalized == n && out[2].feature == sqrt(fabs(n)) * log(6.5), "v=-5.5");
    ck_assert_msg(out[2].id == 2 && out[2].value == -5.5, "id/value not carried");
}
END_TEST

START_TEST(test_codec_round_trip)
{
    struct sensor sen;
    sensor_init(&sen, 7);
    struct sensor_record in[50], back[50];
    struct record_result res[50], res2[50];
    for (int i = 0; i < 50; i++)
        sensor_next(&sen, &in[i]);
    struct buf b = BUF_INIT;
    ck_assert_int_eq(batch_encode(&b, 42, in, 50), 0);
    uint64_t idx = 0;
    ck_assert_int_eq(batch_decode(b.data, b.len, &idx, back, 50), 50);
    ck_assert_msg(idx == 42 && memcmp(in, back, sizeof in) == 0, "batch changed in transit");
    ck_assert_int_eq(batch_decode(b.data, b.len, &idx, back, 49), -1);    /* too many for the room */
    ck_assert_int_eq(batch_decode(b.data, b.len - 1, &idx, back, 50), -1); /* truncated */
    process_record_batch(in, 50, res);
    buf_reset(&b);
    ck_assert_int_eq(results_encode(&b, 9, res, 50), 0);
    ck_assert_int_eq(results_decode(b.data, b.len, &idx, res2, 50), 50);
    ck_assert_msg(idx == 9 && memcmp(res, res2, sizeof res) == 0, "results changed in transit");
    buf_free(&b);
}
END_TEST

/* The last CSV row (NUL-terminated copy in row) and its checksum, the 8th field. */
static void checksum_of(struct kit_run *r, char *out, size_t len)
{
    const char *end = r->out + r->out_len, *row;
    while (end > r->out && end[-1] == '\n')
        end--;
    for (row = end; row > r->out && row[-1] != '\n'; row--)
        ;
    char sum[32];
    ck_assert_msg(sscanf(row, "%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%31[0-9a-f]", sum) == 1
                  && strlen(sum) == 16, "no CSV row with a checksum: %s", r->out);
    snprintf(out, len, "%s", sum);
}

START_TEST(test_pool_equals_sequential)
{
    /* The last run adds --work 3: CPU work per record changes no result. */
    static const char *batches[] = { "1", "7", "1000", "50" }, *work[] = { "0", "0", "0", "3" };
    int fds = kit_count_fds();
    const char *bp = kit_bin("batchpool");
    struct kit_run seq;
    ck_assert_int_eq(kit_run(&seq, NULL, T, bp, "--records", "30000", "--batch", "7", "--sequential",
                             "--csv", NULL), 0);
    ck_assert_msg(seq.status == 0, "sequential: exit %d: %s", seq.status, seq.err);
    char want[32], got[32];
    checksum_of(&seq, want, sizeof want);
    for (int i = 0; i < 4; i++) {
        struct kit_run r;
        ck_assert_int_eq(kit_run(&r, NULL, T, bp, "--records", "30000", "--batch", batches[i], "--workers", "3",
                                 "--work", work[i], "--csv", NULL), 0);
        ck_assert_msg(r.status == 0, "B=%s: exit %d: %s", batches[i], r.status, r.err);
        checksum_of(&r, got, sizeof got);
        ck_assert_msg(strcmp(want, got) == 0, "B=%s: checksum %s, sequential %s", batches[i], got, want);
        ck_assert_msg(strstr(r.out, "batch,records,seconds,per_record_us,workers,mode,calls,checksum,work\n"),
                      "B=%s: header: %s", batches[i], r.out);
        char tail[8];
        snprintf(tail, sizeof tail, ",%s\n", work[i]);
        ck_assert_msg(r.out_len > 3 && !strcmp(r.out + r.out_len - strlen(tail), tail),
                      "B=%s: the row does not end with work %s: %s", batches[i], work[i], r.out);
        kit_run_free(&r);
    }
    kit_run_free(&seq);
    kit_assert_clean(fds);
}
END_TEST

/* Every row, in order, byte for byte (a short last batch included: 5003 % 7). */
START_TEST(test_emit_in_order)
{
    int fds = kit_count_fds();
    const char *bp = kit_bin("batchpool");
    struct kit_run seq, pool;
    ck_assert_int_eq(kit_run(&seq, NULL, T, bp, "--records", "5003", "--sequential", "--emit", "--quiet", NULL), 0);
    ck_assert_int_eq(kit_run(&pool, NULL, T, bp, "--records", "5003", "--batch", "7", "--workers", "2",
                             "--inflight", "3", "--emit", "--quiet", NULL), 0);
    ck_assert_msg(seq.status == 0 && pool.status == 0, "exit %d/%d: %s", seq.status, pool.status, pool.err);
    ck_assert_msg(seq.out_len > 5003 * 20, "sequential emitted %zu bytes", seq.out_len);
    ck_assert_msg(seq.out_len == pool.out_len && memcmp(seq.out, pool.out, seq.out_len) == 0,
                  "the pool's rows differ from the sequential run's (%zu vs %zu bytes)", pool.out_len, seq.out_len);
    kit_run_free(&seq);
    kit_run_free(&pool);
    kit_assert_clean(fds);
}
END_TEST

/* A worker killed mid-run (worker 0 SIGKILLs itself on its 5th batch, holding
 * it and maybe the next): the pool respawns the slot and resends, and every
 * row still comes out, in order, equal to what this test computes itself from
 * the sensor and the batch function (seed 1). */
START_TEST(test_worker_killed_respawned)
{
    enum { N = 20000 };
    int fds = kit_count_fds();
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, T, kit_bin("batchpool"), "--records", "20000", "--batch", "7",
                             "--workers", "2", "--inflight", "2", "--emit", "--kill-worker-after", "5", NULL), 0);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "was killed by signal 9") && strstr(r.err, "1 worker(s) died and were respawned"),
                  "no respawn reported: %s", r.err);
    struct sensor sen;
    sensor_init(&sen, 1);
    struct buf want = BUF_INIT;
    for (int i = 0; i < N; i++) {
        struct sensor_record in;
        struct record_result out;
        char line[160];
        sensor_next(&sen, &in);
        process_record_batch(&in, 1, &out);
        int k = snprintf(line, sizeof line, "%llu,%.17g,%.17g,%.17g\n", (unsigned long long)out.id, out.value,
                         out.normalized, out.feature);
        ck_assert_int_eq(buf_append(&want, line, (size_t)k), 0);
    }
    ck_assert_msg(r.out_len == want.len && memcmp(r.out, want.data, want.len) == 0,
                  "the rows differ from the batch function's (%zu vs %zu bytes)", r.out_len, want.len);
    buf_free(&want);
    kit_run_free(&r);
    kit_assert_clean(fds);
}
END_TEST

START_TEST(test_bad_flags)
{
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("batchpool"), "--batch", "0", NULL), 0);
    ck_assert_msg(r.status == 2 && strstr(r.err, "usage:"), "--batch 0: exit %d: %s", r.status, r.err);
    kit_run_free(&r);
}
END_TEST

static Suite *batchpool_suite(void)
{
    Suite *s = suite_create("batchpool");
    TCase *tc = kit_tcase(s, "records", 10);
    tcase_add_test(tc, test_process_record_batch);
    tcase_add_test(tc, test_codec_round_trip);
    tc = kit_tcase(s, "pool", 120);
    tcase_add_test(tc, test_pool_equals_sequential);
    tcase_add_test(tc, test_emit_in_order);
    tcase_add_test(tc, test_worker_killed_respawned);
    tcase_add_test(tc, test_bad_flags);
    return s;
}

KIT_TEST_MAIN(batchpool_suite)
