/* ctlclient.c: a small control-socket client (see ctlclient.h).
 *
 * The fd is non-blocking and every wait is a poll() with what is left of the
 * caller's time limit, so a server that hangs costs a test a bounded wait, never
 * a stuck run. Answers are read with MSG_PEEK first: we take exactly one line out
 * of the socket and leave the next answer where it is, without a buffer that
 * would have to travel with the fd. */
#include "ctlclient.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes. 0, or -1 with errno. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = events };
        int n = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

int ctlclient_open(const char *path, int timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    long long deadline = now_ms() + timeout_ms;
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof sa.sun_path) {
        errno = n ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    /* A UNIX-domain connect() does not go "in progress": with the listener's
     * backlog full it fails with EAGAIN and must simply be tried again. */
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno != EAGAIN && errno != EINTR)
            goto fail;
        if (now_ms() >= deadline) {
            errno = ETIMEDOUT;
            goto fail;
        }
        nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
    }
    return fd;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

int ctlclient_send(int fd, const char *cmd, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    size_t n = strlen(cmd);
    struct iovec iov[2] = { { (void *)cmd, n }, { "\n", 1 } };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

    /* One sendmsg for command and newline; advance through the pieces on a short write. */
    while (mh.msg_iovlen > 0) {
        ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno != EAGAIN && errno != EINTR)
                return -1;
            if (wait_fd(fd, POLLOUT, deadline) < 0)
                return -1;
            continue;
        }
        while (mh.msg_iovlen > 0 && (size_t)w >= mh.msg_iov[0].iov_len) {
            w -= (ssize_t)mh.msg_iov[0].iov_len;
            mh.msg_iov++;
            mh.msg_iovlen--;
        }
        if (mh.msg_iovlen > 0) {
            mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + w;
            mh.msg_iov[0].iov_len -= (size_t)w;
        }
    }
    return 0;
}

int ctlclient_read_line(int fd, char *answer, size_t len, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    size_t got = 0;
    int too_long = 0;
    char buf[1024];

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0) {
            errno = ECONNRESET;             /* closed before the end of the line */
            return -1;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                return -1;
            if (wait_fd(fd, POLLIN, deadline) < 0)
                return -1;
            continue;
        }
        char *nl = memchr(buf, '\n', (size_t)n);
        size_t take = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
        if (recv(fd, buf, take, MSG_DONTWAIT) != (ssize_t)take)
            return -1;                      /* cannot happen: we are the only reader */
        size_t text = nl ? take - 1 : take;
        size_t room = len > got + 1 ? len - 1 - got : 0;
        if (text > room)
            too_long = 1;
        if (room > 0) {
            memcpy(answer + got, buf, text < room ? text : room);
            got += text < room ? text : room;
        }
        if (nl)
            break;
    }
    if (len > 0)
        answer[got] = '\0';
    if (too_long) {
        errno = EMSGSIZE;
        return -1;
    }
    return (int)got;
}

int ctlclient_request(int fd, const char *cmd, char *answer, size_t len, int timeout_ms)
{
    if (ctlclient_send(fd, cmd, timeout_ms) < 0)
        return -1;
    return ctlclient_read_line(fd, answer, len, timeout_ms);
}

int ctl_request(const char *path, const char *cmd, char *answer, size_t len, int timeout_ms)
{
    int fd = ctlclient_open(path, timeout_ms);
    if (fd < 0)
        return -1;
    int n = ctlclient_request(fd, cmd, answer, len, timeout_ms);
    int e = errno;
    close(fd);
    errno = e;
    return n;
}
