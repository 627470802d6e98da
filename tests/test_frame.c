/* test_frame.c: frames survive byte-at-a-time delivery, signals, truncation and
 * forged lengths; the incremental framer agrees with the blocking reader and
 * keeps its memory bounded. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "kit_test.h"
#include "param.h"
#include "source.h"

#define NFRAMES 60

static int fds_before;

static void setup(void)
{
    fds_before = kit_count_fds();
}

static void teardown(void)
{
    kit_assert_clean(fds_before);
}

/* Frame i: i * 37 % 1500 bytes (some empty), content derived from i. */
static size_t body_of(unsigned i, uint8_t *out)
{
    size_t n = (size_t)i * 37 % 1500;
    for (size_t j = 0; j < n; j++)
        out[j] = (uint8_t)(i + j * 7);
    return n;
}

static void sleep_us(long us)
{
    nanosleep(&(struct timespec){ us / 1000000, (us % 1000000) * 1000 }, NULL);
}

static pid_t spawn(void (*fn)(int fd, void *arg), int fd, int other, void *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(other);
        fn(fd, arg);
        _exit(0);
    }
    close(fd);
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed: status 0x%x", st);
}

/* Writer child: all frames, one byte per write(), with short random pauses. */
static void slow_writer(int fd, void *arg)
{
    (void)arg;
    struct buf all = BUF_INIT;
    uint8_t body[1500];
    for (unsigned i = 0; i < NFRAMES; i++)
        if (frame_append(&all, body, body_of(i, body)) < 0)
            _exit(3);
    struct rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < all.len; i++) {
        if (fd_write_all(fd, all.data + i, 1) < 0)
            _exit(4);
        if (rng_below(&r, 64) == 0)
            sleep_us((long)rng_below(&r, 300));
    }
    buf_free(&all);
}

static void read_all_frames(int fd)
{
    struct buf got = BUF_INIT;
    uint8_t want[1500];
    for (unsigned i = 0; i < NFRAMES; i++) {
        int rc = frame_read(fd, &got);
        ck_assert_msg(rc == 1, "frame %u: expected 1 from frame_read, got %d (%s)", i, rc, strerror(errno));
        size_t n = body_of(i, want);
        ck_assert_msg(got.len == n, "frame %u: expected %zu bytes, got %zu", i, n, got.len);
        ck_assert_msg(n == 0 || memcmp(got.data, want, n) == 0, "frame %u: bytes differ", i);
    }
    ck_assert_int_eq(frame_read(fd, &got), 0);      /* the writer closed: clean EOF */
    buf_free(&got);
}

START_TEST(test_byte_at_a_time)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = spawn(slow_writer, sv[1], sv[0], NULL);
    read_all_frames(sv[0]);
    close(sv[0]);
    reap(pid);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* A SIGALRM every 2 ms, installed WITHOUT SA_RESTART, so a blocked read() or
 * write() returns EINTR instead of being restarted by the kernel. */
static void alarm_start(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void alarm_stop(void)
{
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
}

/* Writer child: frames in a few bursts, 20 ms apart, so the reader blocks. */
static void bursty_writer(int fd, void *arg)
{
    (void)arg;
    struct buf all = BUF_INIT;
    uint8_t body[1500];
    for (unsigned i = 0; i < NFRAMES; i++)
        if (frame_append(&all, body, body_of(i, body)) < 0)
            _exit(3);
    size_t step = all.len / 5 + 1;
    for (size_t off = 0; off < all.len; off += step) {
        sleep_us(20000);
        if (fd_write_all(fd, all.data + off, all.len - off < step ? all.len - off : step) < 0)
            _exit(4);
    }
    buf_free(&all);
}

START_TEST(test_eintr_read)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = spawn(bursty_writer, sv[1], sv[0], NULL);
    alarm_start();
    read_all_frames(sv[0]);
    alarm_stop();
    ck_assert_msg(alarms > 0, "expected SIGALRM to interrupt the read, got %d alarms", (int)alarms);
    close(sv[0]);
    reap(pid);
}
END_TEST

#define BIG (4u << 20)

/* Reader child: a 4 MiB frame read in 64 KiB pieces with pauses, checked. */
static void slow_reader(int fd, void *arg)
{
    (void)arg;
    uint8_t hdr[FRAME_HDR], *body = malloc(BIG);
    if (!body || fd_read_all(fd, hdr, FRAME_HDR) != 1)
        _exit(3);
    if ((hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24) != BIG)
        _exit(4);
    for (size_t got = 0; got < BIG; got += 65536) {
        sleep_us(1000);
        if (fd_read_all(fd, body + got, 65536) != 1)
            _exit(5);
    }
    for (size_t i = 0; i < BIG; i++)
        if (body[i] != (uint8_t)(i * 13))
            _exit(6);
    free(body);
}

START_TEST(test_eintr_write)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = spawn(slow_reader, sv[1], sv[0], NULL);
    uint8_t *body = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        body[i] = (uint8_t)(i * 13);
    alarm_start();
    int rc = frame_write(sv[0], body, BIG);     /* blocks on a full socket buffer, partial writes */
    alarm_stop();
    ck_assert_msg(rc == 0, "frame_write: expected 0, got %d (%s)", rc, strerror(errno));
    ck_assert_msg(alarms > 0, "expected SIGALRM during the write, got %d alarms", (int)alarms);
    free(body);
    close(sv[0]);
    reap(pid);
}
END_TEST

START_TEST(test_too_big_write)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
    uint8_t *body = malloc((size_t)FRAME_MAX + 1);  /* never touched: refused before writing */
    errno = 0;
    ck_assert_int_eq(frame_write(sv[0], body, (size_t)FRAME_MAX + 1), -1);
    ck_assert_int_eq(errno, EMSGSIZE);
    uint8_t b;
    ck_assert_msg(read(sv[1], &b, 1) == -1 && errno == EAGAIN, "expected nothing written");
    struct buf out = BUF_INIT;
    errno = 0;
    ck_assert_int_eq(frame_append(&out, body, (size_t)FRAME_MAX + 1), -1);
    ck_assert_int_eq(errno, EMSGSIZE);
    ck_assert_uint_eq(out.len, 0);
    buf_free(&out);
    free(body);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_too_big_read)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    uint32_t n = FRAME_MAX + 1;
    uint8_t forged[FRAME_HDR] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
    ck_assert_int_eq(fd_write_all(sv[1], forged, sizeof forged), 0);
    struct buf body = BUF_INIT;
    errno = 0;
    ck_assert_int_eq(frame_read(sv[0], &body), -1);
    ck_assert_int_eq(errno, EMSGSIZE);
    ck_assert_msg(body.cap < FRAME_MAX, "expected no allocation for a forged length, got cap %zu", body.cap);

    struct framer f;
    framer_init(&f);
    const uint8_t *p;
    size_t len;
    ck_assert_int_eq(framer_feed(&f, forged, sizeof forged), 0);
    errno = 0;
    ck_assert_int_eq(framer_next(&f, &p, &len), -1);
    ck_assert_int_eq(errno, EMSGSIZE);
    framer_free(&f);

    /* Exactly FRAME_MAX is allowed: the header alone only asks for more. */
    n = FRAME_MAX;
    uint8_t edge[FRAME_HDR] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
    framer_init(&f);
    ck_assert_int_eq(framer_feed(&f, edge, sizeof edge), 0);
    ck_assert_int_eq(framer_next(&f, &p, &len), 0);
    framer_free(&f);
    buf_free(&body);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Write `n` bytes of a frame announcing 100 bytes, close, expect EPROTO. */
static void truncated_after(size_t n)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct buf all = BUF_INIT;
    uint8_t body[100] = { 0 };
    ck_assert_int_eq(frame_append(&all, body, sizeof body), 0);
    ck_assert_int_eq(fd_write_all(sv[1], all.data, n), 0);
    close(sv[1]);
    struct buf got = BUF_INIT;
    errno = 0;
    int rc = frame_read(sv[0], &got);
    ck_assert_msg(rc == -1 && errno == EPROTO, "%zu of %zu bytes then EOF: expected -1/EPROTO, got %d errno %d",
                  n, all.len, rc, errno);
    buf_free(&got);
    buf_free(&all);
    close(sv[0]);
}

START_TEST(test_truncated)
{
    truncated_after(1);         /* inside the header */
    truncated_after(3);
    truncated_after(FRAME_HDR); /* header only */
    truncated_after(FRAME_HDR + 50);
    truncated_after(FRAME_HDR + 99);
}
END_TEST

START_TEST(test_clean_eof)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(frame_write(sv[1], "hi", 2), 0);
    ck_assert_int_eq(frame_write(sv[1], NULL, 0), 0);      /* an empty frame is a frame */
    close(sv[1]);
    struct buf got = BUF_INIT;
    ck_assert_int_eq(frame_read(sv[0], &got), 1);
    ck_assert_uint_eq(got.len, 2);
    ck_assert_mem_eq(got.data, "hi", 2);
    ck_assert_int_eq(frame_read(sv[0], &got), 1);
    ck_assert_uint_eq(got.len, 0);
    ck_assert_int_eq(frame_read(sv[0], &got), 0);
    ck_assert_int_eq(frame_read(sv[0], &got), 0);
    buf_free(&got);
    close(sv[0]);
}
END_TEST

/* Feed `all` to a framer in pieces of 1..maxpiece bytes, draining after each
 * feed; check every frame against body_of(). */
static void framer_check(const struct buf *all, unsigned frames, size_t maxpiece, uint64_t seed)
{
    struct framer f;
    framer_init(&f);
    struct rng r;
    rng_seed(&r, seed);
    unsigned next = 0;
    uint8_t want[1500];
    for (size_t off = 0; off < all->len;) {
        size_t piece = maxpiece == 1 ? 1 : 1 + (size_t)rng_below(&r, maxpiece);
        if (piece > all->len - off)
            piece = all->len - off;
        ck_assert_int_eq(framer_feed(&f, all->data + off, piece), 0);
        off += piece;
        const uint8_t *p;
        size_t len;
        int rc;
        while ((rc = framer_next(&f, &p, &len)) == 1) {
            size_t n = body_of(next % NFRAMES, want);
            ck_assert_msg(len == n && (n == 0 || memcmp(p, want, n) == 0),
                          "frame %u: expected %zu bytes, got %zu (or bytes differ)", next, n, len);
            next++;
        }
        ck_assert_int_eq(rc, 0);
    }
    ck_assert_msg(next == frames, "expected %u frames, got %u", frames, next);
    framer_free(&f);
}

START_TEST(test_framer_pieces)
{
    struct buf all = BUF_INIT;
    uint8_t body[1500];
    for (unsigned i = 0; i < NFRAMES; i++)
        ck_assert_int_eq(frame_append(&all, body, body_of(i, body)), 0);
    framer_check(&all, NFRAMES, 1, 1);          /* one byte at a time */
    framer_check(&all, NFRAMES, 5000, 2);       /* pieces spanning several frames */
    framer_check(&all, NFRAMES, 3, 3);
    buf_free(&all);
}
END_TEST

START_TEST(test_framer_bounded)
{
    /* 100k frames through one framer, fed in 700-byte pieces that cut frames
     * anywhere: its buffer must stay around two frames plus a piece. */
    enum { FRAMES = 100000, PIECE = 700 };
    struct buf chunk = BUF_INIT;
    uint8_t body[1500];
    struct framer f;
    framer_init(&f);
    unsigned made = 0, got = 0;
    size_t peak = 0;
    while (got < FRAMES) {
        while (made < FRAMES && chunk.len < PIECE) {
            ck_assert_int_eq(frame_append(&chunk, body, body_of(made % NFRAMES, body)), 0);
            made++;
        }
        size_t n = chunk.len < PIECE ? chunk.len : PIECE;
        ck_assert_int_eq(framer_feed(&f, chunk.data, n), 0);
        buf_consume(&chunk, n);
        const uint8_t *p;
        size_t len;
        while (framer_next(&f, &p, &len) == 1) {
            ck_assert_uint_eq(len, body_of(got % NFRAMES, body));
            got++;
        }
        if (f.in.cap > peak)
            peak = f.in.cap;
    }
    size_t bound = 4 * (1500 + FRAME_HDR + PIECE);
    ck_assert_msg(peak <= bound, "framer buffer grew to %zu bytes, expected <= %zu", peak, bound);
    framer_free(&f);
    buf_free(&chunk);
}
END_TEST

/* The header helpers and the receive-in-place path (framer_space/commit, what
 * a reader that read()s straight into the framer uses) agree with
 * frame_append and framer_feed: header = 4 bytes little-endian, and the same
 * frames come out, with a buffer bounded the same way. */
START_TEST(test_framer_in_place)
{
    uint8_t h[FRAME_HDR];
    frame_hdr_put(h, 0x01020304u);
    ck_assert(h[0] == 4 && h[1] == 3 && h[2] == 2 && h[3] == 1);
    ck_assert_uint_eq(frame_hdr_get(h), 0x01020304u);
    struct buf all = BUF_INIT;
    uint8_t body[1500];
    for (unsigned i = 0; i < NFRAMES; i++)
        ck_assert_int_eq(frame_append(&all, body, body_of(i, body)), 0);
    ck_assert_uint_eq(frame_hdr_get(all.data), body_of(0, body));
    struct framer f;
    framer_init(&f);
    unsigned got = 0;
    size_t peak = 0;
    for (size_t off = 0; off < all.len;) {
        size_t n = all.len - off < 777 ? all.len - off : 777;
        uint8_t *dst = framer_space(&f, 4096);          /* room for more than is written */
        ck_assert_ptr_nonnull(dst);
        memcpy(dst, all.data + off, n);
        framer_commit(&f, n);
        off += n;
        const uint8_t *p;
        size_t len;
        while (framer_next(&f, &p, &len) == 1) {
            size_t want = body_of(got % NFRAMES, body);
            ck_assert_msg(len == want && (want == 0 || memcmp(p, body, want) == 0), "frame %u differs", got);
            got++;
        }
        if (f.in.cap > peak)
            peak = f.in.cap;
    }
    ck_assert_uint_eq(got, NFRAMES);
    ck_assert_msg(peak <= 4 * (1500 + FRAME_HDR + 4096), "framer buffer grew to %zu bytes", peak);
    framer_free(&f);
    buf_free(&all);
}
END_TEST

static Suite *frame_suite(void)
{
    const struct kit_case cases[] = {
        { "byte_at_a_time", test_byte_at_a_time, 30 },
        { "eintr_read", test_eintr_read, 20 },
        { "eintr_write", test_eintr_write, 30 },
        { "too_big_write", test_too_big_write, 10 },
        { "too_big_read", test_too_big_read, 10 },
        { "truncated", test_truncated, 10 },
        { "clean_eof", test_clean_eof, 10 },
        { "framer_pieces", test_framer_pieces, 20 },
        { "framer_bounded", test_framer_bounded, 30 },
        { "framer_in_place", test_framer_in_place, 10 },
    };
    /* What kit_suite does, plus the leak-checking fixture around every case. */
    Suite *s = suite_create("frame");
    for (size_t i = 0; i < KIT_NELEM(cases); i++) {
        TCase *tc = kit_tcase(s, cases[i].name, cases[i].timeout_s);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
    }
    return s;
}

KIT_TEST_MAIN(frame_suite)
