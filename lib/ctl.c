/* ctl.c: the control socket's command language (SPEC §5), kept apart from the
 * server so that it can be tested by table and fuzzed without a socket.
 *
 *   GET key      exactly one space, then a SPEC §1 key
 *   STATS        no argument
 *   SHUTDOWN     no argument
 *
 * Commands are upper case, like the ops of a message. A line counts its bytes
 * before the newline, a trailing '\r' included, so a client that sends CRLF
 * (telnet, nc -C) is served, and the limit means the same in ctl_parse and in the
 * server that reads the line. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"

#define WORD_SHOWN 32           /* bytes of an unknown command quoted back */

static int bad(struct ctl_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(struct ctl_req *req, const char *fmt, ...)
{
    va_list ap;
    req->cmd = CTL_BAD;
    va_start(ap, fmt);
    vsnprintf(req->why, sizeof req->why, fmt, ap);
    va_end(ap);
    return -1;
}

/* Copy up to WORD_SHOWN bytes of s into a printable, NUL-terminated form: the
 * reason goes back over the socket and into logs, so control bytes become '?'. */
static void printable(char *dst, const char *s, size_t n)
{
    size_t k = n < WORD_SHOWN ? n : WORD_SHOWN;
    for (size_t i = 0; i < k; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
    strcpy(dst + k, n > WORD_SHOWN ? "..." : "");
}

int ctl_parse(const char *line, size_t len, struct ctl_req *req)
{
    char word[WORD_SHOWN + 4];

    memset(req, 0, sizeof *req);
    if (len > CTL_LINE_MAX)
        return bad(req, "line too long");
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return bad(req, "empty line");

    const char *sp = memchr(line, ' ', len);
    size_t w = sp ? (size_t)(sp - line) : len;

    if (w == 3 && memcmp(line, "GET", 3) == 0) {
        if (len <= 4)
            return bad(req, "GET needs a key");
        if (!key_valid(line + 4, len - 4))
            return bad(req, "bad key");
        memcpy(req->key, line + 4, len - 4);
        req->key[len - 4] = '\0';
        req->cmd = CTL_GET;
        return 0;
    }
    if (w == 5 && memcmp(line, "STATS", 5) == 0) {
        if (len != w)
            return bad(req, "STATS takes no argument");
        req->cmd = CTL_STATS;
        return 0;
    }
    if (w == 8 && memcmp(line, "SHUTDOWN", 8) == 0) {
        if (len != w)
            return bad(req, "SHUTDOWN takes no argument");
        req->cmd = CTL_SHUTDOWN;
        return 0;
    }
    printable(word, line, w);
    return bad(req, "unknown command '%s'", word);
}

size_t ctl_stats_head(char *buf, size_t len, const struct ctl_stats_head *h)
{
    if (len == 0)
        return 0;
    int n = snprintf(buf, len, "messages_in=%llu processed=%llu rejected=%llu queries=%lu "
                     "workers_alive=%u restarts=%llu", h->messages_in, h->processed, h->rejected,
                     h->queries, h->workers_alive, h->restarts);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}
