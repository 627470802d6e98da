/* ctldir.c: the control socket's private directory (ctl.h, --control-private).
 *
 * Why a directory and not just the socket's mode. The socket file is created
 * 0600 (ctlsrv.c), but the directory it lives in decides who can see it, remove
 * it, or put a look-alike in its place before a client connects. A directory
 * that is ours with mode 0700 closes all three at once: nobody else can even
 * look up a name inside it. So the check is on that one directory: it must be
 * a real directory (a symlink could be re-pointed by whoever owns it), owned by
 * us, with no group or other bits. The path above it is resolved as any path
 * is; choosing a sane parent is the user's business. */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ctl_private_dir(const char *sock_path, struct ctl_dir *made, char *err, size_t errlen)
{
    made->path[0] = '\0';
    /* The directory is the path up to the last '/', trailing slashes dropped:
     * "d//ctl.sock" is d, and lstat("link/") would follow a symlink. */
    const char *slash = strrchr(sock_path, '/');
    size_t n = slash ? (size_t)(slash - sock_path) : 0;
    while (n > 0 && sock_path[n - 1] == '/')
        n--;
    if (n == 0) {
        snprintf(err, errlen, "a private control directory needs a socket path inside a directory "
                              "of its own (like /tmp/run.XXXX/ctl.sock), not '%s'", sock_path);
        errno = EINVAL;
        return -1;
    }
    if (n >= sizeof made->path) {
        snprintf(err, errlen, "the control directory in '%s' is %zu bytes; at most %zu fit",
                 sock_path, n, sizeof made->path - 1);
        errno = ENAMETOOLONG;
        return -1;
    }
    char dir[sizeof made->path];
    memcpy(dir, sock_path, n);
    dir[n] = '\0';

    /* mkdir() creates it with at most 0700 or fails, so it is never open to
     * others, not even for an instant; chmod then gives the owner back what a
     * stingy umask took (it never adds a bit for anyone else). */
    struct stat st;
    if (mkdir(dir, 0700) == 0) {
        const char *what = chmod(dir, 0700) < 0 ? "chmod()" : lstat(dir, &st) < 0 ? "lstat()" : NULL;
        if (what) {
            int e = errno;
            snprintf(err, errlen, "%s failed on the control directory '%s': %s", what, dir, strerror(e));
            rmdir(dir);
            errno = e;
            return -1;
        }
        memcpy(made->path, dir, n + 1);
        made->dev = st.st_dev;
        made->ino = st.st_ino;
        return 0;
    }
    if (errno != EEXIST) {
        int e = errno;
        snprintf(err, errlen, "mkdir() failed making the control directory '%s': %s", dir, strerror(e));
        errno = e;
        return -1;
    }
    /* It exists: trust it only if nobody else can get in, or could swap it. */
    int e = 0;
    if (lstat(dir, &st) < 0) {
        e = errno;
        snprintf(err, errlen, "lstat() failed on the control directory '%s': %s", dir, strerror(e));
    } else if (!S_ISDIR(st.st_mode)) {
        e = ENOTDIR;
        snprintf(err, errlen, "'%s' is not a directory (a symlink?): refusing it for the control socket", dir);
    } else if (st.st_uid != geteuid()) {
        e = EPERM;
        snprintf(err, errlen, "'%s' belongs to uid %ld, not to us: refusing it for the control socket", dir,
                 (long)st.st_uid);
    } else if (st.st_mode & 077) {
        e = EPERM;
        snprintf(err, errlen, "'%s' has mode %04o: others can enter it; a private control directory must be 0700",
                 dir, (unsigned)(st.st_mode & 07777));
    }
    errno = e;
    return e ? -1 : 0;
}

void ctl_private_dir_remove(struct ctl_dir *made)
{
    struct stat st;
    int e = errno;
    /* Only the directory we made: after we are gone from it, a later run may
     * have made its own at the same path. rmdir refuses one that is not empty. */
    if (made->path[0] && lstat(made->path, &st) == 0 && st.st_dev == made->dev && st.st_ino == made->ino)
        rmdir(made->path);
    made->path[0] = '\0';
    errno = e;
}
