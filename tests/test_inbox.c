/* test_inbox.c: lib/inbox.h, a stream read on a thread and handed to a loop.
 * Every wait is bounded by the TCase timeout; no assertion is about speed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "inbox.h"
#include "kit_test.h"
#include "param.h"
#include "stream.h"

struct got {
    struct msg *m;              /* messages taken, payloads not kept */
    uint8_t *payload_sum;       /* per message: the xor of its payload bytes */
    size_t n, cap;
    enum inbox_status last;
    int calls;
    sem_t *seen;                /* posted for every message taken, if set */
};

static void take_all(struct inbox *ib, void *data)
{
    struct got *g = data;
    g->calls++;
    struct msg m;
    enum inbox_status st;
    while ((st = inbox_next(ib, &m)) == INBOX_MSG) {
        if (g->n == g->cap) {
            g->cap = g->cap ? 2 * g->cap : 1024;
            g->m = realloc(g->m, g->cap * sizeof *g->m);
            g->payload_sum = realloc(g->payload_sum, g->cap);
            ck_assert(g->m && g->payload_sum);
        }
        uint8_t x = 0;
        for (uint32_t i = 0; i < m.payload_len; i++)
            x ^= m.payload[i];
        g->payload_sum[g->n] = x;
        m.payload = NULL;
        g->m[g->n++] = m;
        if (g->seen)
            sem_post(g->seen);
    }
    g->last = st;
}

/* Run the loop until the inbox reports its end. */
static void run_until_end(uv_loop_t *loop, struct inbox *ib, struct got *g)
{
    take_all(ib, g);            /* the first pull: ready_fn comes only after a WAIT */
    while (g->last == INBOX_WAIT)
        uv_run(loop, UV_RUN_ONCE);
}

static char *write_lines(const char *dir, const char *name, const char *text)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    ck_assert_int_eq(kit_write_file(p, text), 0);
    return p;
}

static struct stream *open_input(const char *input, FILE *report)
{
    struct stream_opts o = { .input = input, .report = report };
    char err[256];
    struct stream *s = stream_open(&o, err, sizeof err);
    ck_assert_msg(s, "stream_open(%s): %s", input, err);
    return s;
}

/* Every message of a file arrives in order, then the end; rejects are counted. */
START_TEST(test_order_and_end)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir();
    size_t cap = 4 * 1024 * 1024, len = 0;
    char *text = malloc(cap);
    int lines = 3 * INBOX_BATCH * INBOX_BATCHES + 17, bad = 0;   /* several times the queue */
    for (int i = 0; i < lines; i++) {
        if (i % 97 == 5) {
            len += (size_t)sprintf(text + len, "bad line %d\n", i);
            bad++;
        }
        len += (size_t)sprintf(text + len, "k%d,DATA,%d.5\n", i % 13, i);
    }
    char *path = write_lines(dir, "in.txt", text);
    FILE *devnull = fopen("/dev/null", "w");
    struct stream *s = open_input(path, devnull);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = { .last = INBOX_WAIT };
    struct inbox *ib = inbox_start(&loop, s, take_all, &g);
    ck_assert_msg(ib, "inbox_start: %s", strerror(errno));
    run_until_end(&loop, ib, &g);
    ck_assert_msg(g.last == INBOX_END, "expected INBOX_END after the messages, got %d", g.last);
    ck_assert_msg(g.n == (size_t)lines, "expected %d messages, got %zu", lines, g.n);
    for (size_t i = 0; i < g.n; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%zu", i % 13);
        ck_assert_msg(g.m[i].seq == i && strcmp(g.m[i].key, key) == 0 && g.m[i].value == (double)i + 0.5,
                      "message %zu: expected seq %zu key %s value %zu.5, got seq %lu key %s value %g", i, i,
                      key, i, (unsigned long)g.m[i].seq, g.m[i].key, g.m[i].value);
    }
    ck_assert_uint_eq(inbox_taken(ib), (uint64_t)lines);
    ck_assert_uint_eq(inbox_rejected(ib), (uint64_t)bad);
    ck_assert_msg(inbox_next(ib, &g.m[0]) == INBOX_END, "the end repeats");
    inbox_close(ib);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    ck_assert_uint_eq(stream_rejected(s), (uint64_t)bad);
    stream_close(s);
    fclose(devnull);
    free(g.m);
    free(g.payload_sum);
    free(text);
    free(path);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

/* The built-in source's payloads are copied: each arrives intact. */
START_TEST(test_payload_copied)
{
    struct stream_opts o = { .src = { .messages = 3000, .keys = 10, .seed = 7, .payload = 100 } };
    char err[256];
    struct stream *direct = stream_open(&o, err, sizeof err), *s = stream_open(&o, err, sizeof err);
    ck_assert(direct && s);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = { .last = INBOX_WAIT };
    struct inbox *ib = inbox_start(&loop, s, take_all, &g);
    ck_assert(ib);
    run_until_end(&loop, ib, &g);
    ck_assert_int_eq(g.last, INBOX_END);
    ck_assert_uint_eq(g.n, 3000);
    struct msg m;
    for (size_t i = 0; i < g.n; i++) {
        ck_assert_int_eq(stream_next(direct, &m), 1);
        uint8_t x = 0;
        for (uint32_t k = 0; k < m.payload_len; k++)
            x ^= m.payload[k];
        ck_assert_msg(strcmp(m.key, g.m[i].key) == 0 && m.payload_len == g.m[i].payload_len && x == g.payload_sum[i],
                      "message %zu: expected key %s payload %u B xor %u, got %s %u B xor %u", i, m.key,
                      m.payload_len, x, g.m[i].key, g.m[i].payload_len, g.payload_sum[i]);
    }
    inbox_close(ib);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    stream_close(s);
    stream_close(direct);
    free(g.m);
    free(g.payload_sum);
}
END_TEST

/* A slow writer: each line reaches the loop before the next is written. With a
 * reader that waited for a full batch this handshake would never progress (the
 * TCase timeout would fail it). */
struct writer {
    int fd;
    int lines;
    sem_t seen;
};

static void *slow_writer(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < w->lines; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%sk%d,DATA,%d\n", i % 3 == 0 ? "# comment\n" : "", i % 5, i);
        if (write(w->fd, line, (size_t)n) != n)
            abort();            /* not ck_assert: this is not the test's thread */
        while (sem_wait(&w->seen) < 0 && errno == EINTR)
            ;                   /* the loop has taken line i: only now the next */
    }
    close(w->fd);
    return NULL;
}

START_TEST(test_slow_writer_line_by_line)
{
    int fds = kit_count_fds_uv();
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    int saved_in = dup(0);
    ck_assert_int_eq(dup2(p[0], 0), 0);
    close(p[0]);
    struct stream *s = open_input("-", NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct writer w = { .fd = p[1], .lines = 200 };
    sem_init(&w.seen, 0, 0);
    struct got g = { .last = INBOX_WAIT, .seen = &w.seen };
    struct inbox *ib = inbox_start(&loop, s, take_all, &g);
    ck_assert(ib);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, slow_writer, &w), 0);
    run_until_end(&loop, ib, &g);
    pthread_join(t, NULL);
    ck_assert_msg(g.last == INBOX_END && g.n == 200, "expected 200 messages then the end, got %zu, status %d",
                  g.n, g.last);
    for (size_t i = 0; i < g.n; i++)
        ck_assert_msg(g.m[i].value == (double)i, "message %zu has value %g", i, g.m[i].value);
    inbox_close(ib);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    stream_close(s);
    dup2(saved_in, 0);
    close(saved_in);
    sem_destroy(&w.seen);
    free(g.m);
    free(g.payload_sum);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

/* Closing while the reader waits for a writer that says nothing: the wait is
 * interrupted and the thread joined (a hang here fails by timeout). */
START_TEST(test_close_while_waiting)
{
    int fds = kit_count_fds_uv();
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    int saved_in = dup(0);
    dup2(p[0], 0);
    close(p[0]);
    struct stream *s = open_input("-", NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = { .last = INBOX_WAIT };
    struct inbox *ib = inbox_start(&loop, s, take_all, &g);
    ck_assert(ib);
    ck_assert_int_eq(write(p[1], "k1,START,\nk1,DATA,2\n", 20), 20);   /* then silence, pipe open */
    take_all(ib, &g);
    while (g.n < 2)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(g.last, INBOX_WAIT);
    inbox_close(ib);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    stream_close(s);
    close(p[1]);
    dup2(saved_in, 0);
    close(saved_in);
    free(g.m);
    free(g.payload_sum);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

/* A loop that takes nothing: the reader stops after a bounded read-ahead. */
START_TEST(test_back_pressure)
{
    struct stream_opts o = { .src = { .messages = 0, .keys = 10, .seed = 1 } };   /* endless */
    char err[256];
    struct stream *s = stream_open(&o, err, sizeof err);
    ck_assert(s);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = { .last = INBOX_WAIT };
    struct inbox *ib = inbox_start(&loop, s, take_all, &g);
    ck_assert(ib);
    struct timespec ts = { 0, 200 * 1000000L };
    nanosleep(&ts, NULL);       /* whatever it reads meanwhile, it must stop */
    inbox_close(ib);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    uint64_t bound = (uint64_t)(INBOX_BATCHES + 2) * INBOX_BATCH;
    ck_assert_msg(stream_delivered(s) <= bound, "the reader read %lu messages ahead of a loop that took none; "
                  "expected at most %lu", (unsigned long)stream_delivered(s), (unsigned long)bound);
    stream_close(s);
    free(g.m);
    free(g.payload_sum);
}
END_TEST

static Suite *inbox_suite(void)
{
    Suite *s = suite_create("inbox");
    TCase *tc = kit_tcase(s, "order", 20);
    tcase_add_test(tc, test_order_and_end);
    tcase_add_test(tc, test_payload_copied);
    tc = kit_tcase(s, "waiting", 20);
    tcase_add_test(tc, test_slow_writer_line_by_line);
    tcase_add_test(tc, test_close_while_waiting);
    tcase_add_test(tc, test_back_pressure);
    return s;
}

KIT_TEST_MAIN(inbox_suite)
