/* ctlclient.h: the client side of the control socket (SPEC §5), for tests,
 * experiments and bin/kitctl. Plain blocking-style calls with a time limit each;
 * nothing here needs an event loop. A connection reads nothing past the answer
 * it returns, so commands can be sent one after another on the same fd. */
#ifndef KIT_CTLCLIENT_H
#define KIT_CTLCLIENT_H

#include <stddef.h>

/* Connect to the control socket at path, trying for at most timeout_ms (a full
 * backlog is retried). Returns a non-blocking, close-on-exec fd, or -1 with errno
 * (ENOENT, ECONNREFUSED, ETIMEDOUT, ENAMETOOLONG, ...). */
int ctlclient_open(const char *path, int timeout_ms);

/* Send cmd and a newline, within timeout_ms. Returns 0, or -1 with errno. */
int ctlclient_send(int fd, const char *cmd, int timeout_ms);

/* Read one answer line into answer (NUL-terminated, newline removed), within
 * timeout_ms. Returns its length, or -1 with errno: ETIMEDOUT; ECONNRESET when the
 * server closed before a full line; EMSGSIZE when the line did not fit in len-1
 * bytes (the whole line is consumed, answer holds its start). */
int ctlclient_read_line(int fd, char *answer, size_t len, int timeout_ms);

/* ctlclient_send then ctlclient_read_line, each within timeout_ms. */
int ctlclient_request(int fd, const char *cmd, char *answer, size_t len, int timeout_ms);

/* One command on a connection of its own: open, request, close. Returns the
 * answer's length, or -1 with errno. */
int ctl_request(const char *path, const char *cmd, char *answer, size_t len, int timeout_ms);

#endif
