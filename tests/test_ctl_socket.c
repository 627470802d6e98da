/* test_ctl_socket.c: the control socket's file and folder (SPEC §5): a live
 * socket is never taken over, a stale one is replaced, anything else at the
 * path is refused; the socket is 0600; a private directory is made 0700 and
 * removed, an existing safe one is kept, an unsafe one refused; the servers
 * of every phase create and clean both. test_ctl.c holds the server's
 * protocol, test_ctl_hostile.c its misbehaving clients. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "kit_test.h"

/* ------------------------------------------------------------------ the socket file */

static void noop_handler(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    (void)req, (void)data;
    ctl_answer(q, "OK");
}

/* Close srv, run the loop dry and check the loop has nothing left. */
static void close_and_drain(uv_loop_t *loop, struct ctlsrv *srv)
{
    if (srv)
        ctlsrv_close(srv);
    uv_run(loop, UV_RUN_DEFAULT);
    ck_assert_msg(uv_loop_close(loop) == 0, "expected every handle closed, got UV_EBUSY");
}

START_TEST(live_socket_refused)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), path[256], err[256];
    struct stat before, after;
    uv_loop_t loop;

    snprintf(path, sizeof path, "%s/ctl.sock", dir);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct ctlsrv *first = ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(first, "first server: %s", err);
    ck_assert_int_eq(lstat(path, &before), 0);
    errno = 0;
    struct ctlsrv *second = ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_ptr_null(second);
    ck_assert_int_eq(errno, EADDRINUSE);
    char want[300];
    snprintf(want, sizeof want, "another run is listening on %s", path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(lstat(path, &after), 0);
    ck_assert_msg(before.st_ino == after.st_ino, "the live socket file was replaced");
    close_and_drain(&loop, first);
    ck_assert_int_eq(access(path, F_OK), -1);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

START_TEST(stale_socket_replaced)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), err[256];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    uv_loop_t loop;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/ctl.sock", dir);
    /* A socket file whose owner died: bound, never unlinked, nobody listening. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    ck_assert_int_eq(lstat(sa.sun_path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct ctlsrv *s = ctlsrv_start(&loop, sa.sun_path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(s, "expected the stale socket replaced, got '%s'", err);
    /* Live now: a connect succeeds (an inode number could be reused, so not that). */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "expected the new socket to accept, got %s", strerror(errno));
    close(fd);
    close_and_drain(&loop, s);
    ck_assert_int_eq(access(sa.sun_path, F_OK), -1);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

START_TEST(non_socket_refused)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), path[256], link[256], err[256], want[300];
    uv_loop_t loop;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    /* A regular file, a directory, a symlink: none is ours to remove. */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    ck_assert_int_eq(kit_write_file(path, "keep me\n"), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_int_eq(errno, EEXIST);
    snprintf(want, sizeof want, "%s exists and is not a socket", path);
    ck_assert_str_eq(err, want);
    char *text = kit_read_file(path, NULL);
    ck_assert_str_eq(text, "keep me\n");
    free(text);

    ck_assert_ptr_null(ctlsrv_start(&loop, dir, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "exists and is not a socket"), "directory: got '%s'", err);

    snprintf(link, sizeof link, "%s/link.sock", dir);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_ptr_null(ctlsrv_start(&loop, link, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "exists and is not a socket"), "symlink: got '%s'", err);
    close_and_drain(&loop, NULL);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

START_TEST(path_too_long)
{
    char path[300], err[512];
    uv_loop_t loop;
    memset(path, 'x', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_int_eq(errno, ENAMETOOLONG);
    ck_assert_msg(strstr(err, "is 299 bytes; a UNIX socket path must be 1 to 107"),
                  "expected the length and the limit, got '%s'", err);
    close_and_drain(&loop, NULL);
}
END_TEST

START_TEST(socket_mode_0600)
{
    char *dir = kit_tmpdir(), path[256], err[256];
    struct stat st;
    uv_loop_t loop;

    snprintf(path, sizeof path, "%s/ctl.sock", dir);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    mode_t old = umask(0);      /* the most permissive umask a user could have */
    struct ctlsrv *s = ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(umask(old) == 0, "expected ctlsrv_start to restore the umask");
    ck_assert_msg(s, "%s", err);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0600, "expected mode 0600, got %04o",
                  (unsigned)(st.st_mode & 07777));
    close_and_drain(&loop, s);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ the private directory */

/* Mode bits of path (lstat), or -1 if it is not there. */
static int mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* A missing directory is made 0700, even under a umask that would take the
 * owner's bits, and removed again by ctl_private_dir_remove. */
START_TEST(private_dir_created_and_removed)
{
    char *dir = kit_tmpdir(), sub[256], sock[300], err[256];
    struct ctl_dir made;

    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s//ctl.sock", sub);     /* a doubled slash is still sub */
    mode_t old = umask(0177);
    int rc = ctl_private_dir(sock, &made, err, sizeof err);
    umask(old);
    ck_assert_msg(rc == 0, "expected the directory made, got '%s'", err);
    ck_assert_str_eq(made.path, sub);
    struct stat st;
    ck_assert(lstat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_msg(mode_of(sub) == 0700, "expected %s mode 0700, got %04o", sub, mode_of(sub));
    ctl_private_dir_remove(&made);
    ck_assert_msg(access(sub, F_OK) != 0, "expected %s removed", sub);
    ck_assert_str_eq(made.path, "");
    ctl_private_dir_remove(&made);                          /* twice: a no-op */
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* An existing directory that is ours and 0700 is used and left alone; the
 * components above it resolve as usual (a symlinked parent is fine). */
START_TEST(private_dir_existing_kept)
{
    char *dir = kit_tmpdir(), real[256], link[256], sub[300], sock[350], err[256];
    struct ctl_dir made;

    snprintf(real, sizeof real, "%s/real", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(sub, sizeof sub, "%s/sub", link);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    ck_assert_int_eq(mkdir(real, 0755), 0);
    ck_assert_int_eq(symlink(real, link), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_msg(ctl_private_dir(sock, &made, err, sizeof err) == 0, "expected it accepted, got '%s'", err);
    ck_assert_msg(made.path[0] == '\0', "expected no directory made, got '%s'", made.path);
    ctl_private_dir_remove(&made);
    ck_assert_msg(mode_of(sub) == 0700, "expected the existing directory kept at 0700, got %04o", mode_of(sub));

    /* Through a symlinked parent, a missing one is made in the real parent. */
    ck_assert_int_eq(rmdir(sub), 0);
    ck_assert_msg(ctl_private_dir(sock, &made, err, sizeof err) == 0, "expected it made, got '%s'", err);
    snprintf(sub, sizeof sub, "%s/sub", real);
    ck_assert_msg(mode_of(sub) == 0700, "expected %s made 0700, got %04o", sub, mode_of(sub));
    ctl_private_dir_remove(&made);
    ck_assert_int_eq(mode_of(sub), -1);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* Refused, and left exactly as it was: a directory others may enter (group or
 * other bits), one that is a symlink (even to a private directory of ours),
 * one owned by someone else (root only: chown), a file, and paths without a
 * directory of their own. */
START_TEST(private_dir_refused)
{
    char *dir = kit_tmpdir(), sub[256], sock[300], target[256], err[256];
    struct ctl_dir made;
    static const int open_modes[] = { 0755, 0750, 0710, 0701, 0707 };

    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    for (size_t i = 0; i < KIT_NELEM(open_modes); i++) {
        char want[16];
        ck_assert_int_eq(chmod(sub, (mode_t)open_modes[i]), 0);
        errno = 0;
        ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
        ck_assert_int_eq(errno, EPERM);
        snprintf(want, sizeof want, "mode %04o", open_modes[i]);
        ck_assert_msg(strstr(err, want) && strstr(err, "others can enter it"),
                      "mode %04o: expected '%s' in the reason, got '%s'", open_modes[i], want, err);
        ck_assert_int_eq(mode_of(sub), open_modes[i]);
    }

    if (geteuid() == 0) {       /* only root can give a directory away */
        ck_assert_int_eq(chmod(sub, 0700), 0);
        ck_assert_int_eq(chown(sub, 65534, 65534), 0);
        errno = 0;
        ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
        ck_assert_int_eq(errno, EPERM);
        ck_assert_msg(strstr(err, "belongs to uid 65534"), "expected the owner named, got '%s'", err);
    }

    ck_assert_int_eq(rmdir(sub), 0);
    snprintf(target, sizeof target, "%s/target", dir);
    ck_assert_int_eq(mkdir(target, 0700), 0);
    ck_assert_int_eq(symlink(target, sub), 0);
    errno = 0;
    ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert_msg(strstr(err, "is not a directory (a symlink?)"), "symlink: got '%s'", err);

    ck_assert_int_eq(unlink(sub), 0);
    ck_assert_int_eq(kit_write_file(sub, "keep me\n"), 0);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    errno = 0;
    ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
    ck_assert_int_eq(errno, ENOTDIR);

    static const char *const no_dir[] = { "ctl.sock", "/ctl.sock", "//ctl.sock" };
    for (size_t i = 0; i < KIT_NELEM(no_dir); i++) {
        errno = 0;
        ck_assert_int_eq(ctl_private_dir(no_dir[i], &made, err, sizeof err), -1);
        ck_assert_msg(errno == EINVAL && strstr(err, "inside a directory of its own"),
                      "%s: expected EINVAL and the reason, got %s: '%s'", no_dir[i], strerror(errno), err);
    }
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* ctlsrv_start with CTLSRV_PRIVATE: directory 0700, socket 0600, both gone on
 * close; an existing private directory stays; a refused one gets no socket. */
START_TEST(server_private_dir)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), sub[256], sock[300], err[256];
    uv_loop_t loop;

    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct ctlsrv *s = ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(s, "expected a server, got '%s'", err);
    ck_assert_msg(mode_of(sub) == 0700, "expected the directory 0700, got %04o", mode_of(sub));
    ck_assert_msg(mode_of(sock) == 0600, "expected the socket 0600, got %04o", mode_of(sock));
    close_and_drain(&loop, s);
    ck_assert_msg(mode_of(sock) == -1 && mode_of(sub) == -1, "expected socket and directory gone");

    /* Ours already: used, and only the socket goes. */
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    s = ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(s, "expected a server, got '%s'", err);
    close_and_drain(&loop, s);
    ck_assert_msg(mode_of(sock) == -1 && mode_of(sub) == 0700, "expected the socket gone, the directory kept");

    /* Open to others: refused before anything is created in it. */
    ck_assert_int_eq(chmod(sub, 0755), 0);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err));
    ck_assert_int_eq(errno, EPERM);
    ck_assert_msg(strstr(err, "0755"), "expected the mode named, got '%s'", err);
    ck_assert_msg(mode_of(sock) == -1 && mode_of(sub) == 0755, "the refused directory was touched");
    close_and_drain(&loop, NULL);
    ck_assert_int_eq(rmdir(sub), 0);

    /* A server that fails to start removes the directory it made. "DIR/sub/"
     * names the directory sub (made) as the socket, which is then refused. */
    snprintf(sock, sizeof sock, "%s/", sub);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err));
    ck_assert_msg(errno == EEXIST && strstr(err, "exists and is not a socket"),
                  "expected EEXIST, got %s: '%s'", strerror(errno), err);
    close_and_drain(&loop, NULL);
    ck_assert_msg(mode_of(sub) == -1, "expected the directory made for the failed server removed");
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

static Suite *ctl_socket_suite(void)
{
    const struct kit_case cases[] = {
        { "live_socket_refused", live_socket_refused, 10 },
        { "stale_socket_replaced", stale_socket_replaced, 10 },
        { "non_socket_refused", non_socket_refused, 10 },
        { "path_too_long", path_too_long, 5 },
        { "socket_mode_0600", socket_mode_0600, 5 },
        { "private_dir_created_and_removed", private_dir_created_and_removed, 5 },
        { "private_dir_existing_kept", private_dir_existing_kept, 5 },
        { "private_dir_refused", private_dir_refused, 5 },
        { "server_private_dir", server_private_dir, 10 },
    };
    return kit_suite("ctl_socket", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(ctl_socket_suite)
