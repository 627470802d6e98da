/* kitctl: talk to a running program's control socket (SPEC §5).
 *
 *   kitctl PATH COMMAND...     send each COMMAND (one argument = one line), print each answer
 *   kitctl PATH                the same for every line read from stdin
 *
 * e.g.  kitctl /tmp/p3.sock STATS 'GET k0001' SHUTDOWN
 * All commands go over one connection, one at a time (the next is sent when the
 * previous answer is in). The answers go to stdout, one line each, as the server
 * sent them, ERR answers included. Exit status: 0 when every command was
 * answered; 1 when the socket cannot be reached or an answer does not come within
 * KITCTL_TIMEOUT_MS (it says which, on stderr); 2 on a bad command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlclient.h"
#include "param.h"

#define KITCTL_TIMEOUT_MS 5000      /* per command: generous next to CTL_REPLY_TIMEOUT_MS */
#define KITCTL_ANSWER_MAX 65536     /* longest answer line printed whole */

static int ask(int fd, const char *path, const char *cmd, char *answer)
{
    if (strchr(cmd, '\n')) {       /* two lines would get two answers and lose step */
        fprintf(stderr, "kitctl: a command is one line: '%s'\n", cmd);
        return -1;
    }
    if (ctlclient_request(fd, cmd, answer, KITCTL_ANSWER_MAX, KITCTL_TIMEOUT_MS) < 0
        && errno != EMSGSIZE) {
        fprintf(stderr, "kitctl: '%s' on %s: %s\n", cmd, path,
                errno == ECONNRESET ? "the server closed the connection" : strerror(errno));
        return -1;
    }
    /* EMSGSIZE: the answer was cut at KITCTL_ANSWER_MAX; print what fits. */
    if (printf("%s\n", answer) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "kitctl: writing stdout: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char answer[KITCTL_ANSWER_MAX];

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "kitctl: send commands to a control socket (--control PATH) and print the answers\n"
                   "Usage: kitctl PATH [COMMAND...]\n"
                   "  COMMAND   one line, e.g. STATS, 'GET k0001', SHUTDOWN;\n"
                   "            without any, every line of stdin is a command\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *path = argv[1];
    int fd = ctlclient_open(path, KITCTL_TIMEOUT_MS);
    if (fd < 0) {
        fprintf(stderr, "kitctl: cannot connect to %s: %s\n", path, strerror(errno));
        return EXIT_FAILURE_RT;
    }
    int rc = EXIT_OK;
    if (argc > 2) {
        for (int i = 2; i < argc && rc == EXIT_OK; i++)
            if (ask(fd, path, argv[i], answer) < 0)
                rc = EXIT_FAILURE_RT;
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (rc == EXIT_OK && (n = getline(&line, &cap, stdin)) >= 0) {
            if (n > 0 && line[n - 1] == '\n')
                line[--n] = '\0';
            if (ask(fd, path, line, answer) < 0)
                rc = EXIT_FAILURE_RT;
        }
        free(line);
    }
    close(fd);
    return rc;
}
