/* ctlsock.c: the control socket's file (ctl.h): claiming the path (a stale
 * socket replaced, a live one or any other file refused) and listening on it
 * with mode 0600 from the first instant. ctlsrv.c runs the connections. */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decide what to do about a file already at path: nothing there, or a stale
 * socket (removed here), is fine; a live socket or any other file is refused.
 * "Live" means a connect() succeeds, or is only delayed by a full backlog. */
static int path_claim(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot check control socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        errno = EEXIST;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() failed probing %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa), e = errno;
    close(fd);
    if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
        snprintf(err, errlen, "another run is listening on %s", path);
        errno = EADDRINUSE;
        return -1;
    }
    if (e != ECONNREFUSED) {
        snprintf(err, errlen, "cannot check control socket %s: connect() failed: %s",
                 path, strerror(e));
        errno = e;
        return -1;
    }
    /* Nobody listens: the run that made it died without removing it. */
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove stale control socket %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Create, bind and listen on the socket. The socket must never be connectable by
 * others, not even for an instant: bind() creates the file with 0777 & ~umask, so
 * the umask is narrowed around bind() (chmod afterwards would leave a window).
 * umask is process-wide: a file another thread creates in that instant comes out
 * more private than it asked, never less. chmod then trims the meaningless x bits
 * to the documented 0600. */
static int listen_fd(const char *path, const struct sockaddr_un *sa, struct stat *st,
                     int backlog, char *err, size_t errlen)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() failed for control socket %s: %s", path, strerror(errno));
        return -1;
    }
    mode_t old = umask(077);
    int rc = bind(fd, (const struct sockaddr *)sa, sizeof *sa), e = errno;
    umask(old);
    if (rc < 0) {
        if (e == EADDRINUSE)    /* someone bound it between our check and here */
            snprintf(err, errlen, "another run is listening on %s", path);
        else
            snprintf(err, errlen, "bind() failed for control socket %s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    const char *what = chmod(path, 0600) < 0 ? "chmod()" : lstat(path, st) < 0 ? "lstat()"
                     : listen(fd, backlog) < 0 ? "listen()" : NULL;
    if (what) {
        e = errno;
        snprintf(err, errlen, "%s failed for control socket %s: %s", what, path, strerror(e));
        unlink(path);
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int ctl_listen(const char *path, const struct sockaddr_un *sa, int backlog, struct stat *st,
               char *err, size_t errlen)
{
    if (path_claim(path, sa, err, errlen) < 0)
        return -1;
    return listen_fd(path, sa, st, backlog, err, errlen);
}
