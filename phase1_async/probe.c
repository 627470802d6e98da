/* probe.c: the query-latency probe thread (see probe.h). Blocking I/O on
 * purpose: the probe is a plain client, like a student's `nc -U`. */
#include "probe.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

/* Sleep until now_ns() >= t, or a little less if stop was asked. */
static void sleep_until(const struct probe *p, uint64_t t)
{
    while (!atomic_load(&p->stop)) {
        uint64_t now = now_ns();
        if (now >= t)
            return;
        uint64_t d = t - now;
        if (d > 5000000u)
            d = 5000000u;       /* look at stop every 5 ms */
        struct timespec ts = { 0, (long)d };
        nanosleep(&ts, NULL);
    }
}

/* One STATS round trip. Returns 0, or -1 when the connection is gone. */
static int ask(struct probe *p)
{
    static const char cmd[] = "STATS\n";
    char buf[1024];
    uint64_t t0 = now_ns();
    if (write(p->fd, cmd, sizeof cmd - 1) != (ssize_t)(sizeof cmd - 1))
        return -1;
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        /* One line per answer, and one question at a time: a newline ends it. */
        if (memchr(buf, '\n', (size_t)n))
            break;
    }
    if (strncmp(buf, "ERR", 3) == 0)
        return -1;              /* "ERR shutting down": not a real answer */
    hist_add(&p->rtt, now_ns() - t0);
    return 0;
}

static void *probe_main(void *arg)
{
    struct probe *p = arg;
    uint64_t next = now_ns() + p->period_ns;
    while (!atomic_load(&p->stop)) {
        sleep_until(p, next);
        if (atomic_load(&p->stop) || ask(p) < 0)
            break;
        next += p->period_ns;
        uint64_t now = now_ns();
        if (next < now)
            next = now;         /* a slow answer does not cause a burst of catch-up probes */
    }
    return NULL;
}

int probe_start(struct probe *p, const char *path, uint64_t period_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    hist_init(&p->rtt);
    atomic_init(&p->stop, false);
    p->period_ns = (period_ms ? period_ms : 1) * 1000000u;
    /* Connect here, on the caller's thread: the listening socket exists already
     * and the kernel completes the connection from its backlog, loop or not. */
    p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        return -1;
    if (connect(p->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto fail;
    int rc = pthread_create(&p->thread, NULL, probe_main, p);
    if (rc) {
        errno = rc;
        goto fail;
    }
    return 0;
fail:;
    int saved = errno;
    close(p->fd);
    p->fd = -1;
    errno = saved;
    return -1;
}

void probe_join(struct probe *p)
{
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    close(p->fd);
    p->fd = -1;
}
