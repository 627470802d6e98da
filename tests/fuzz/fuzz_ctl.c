/* fuzz_ctl.c: the control-socket command parser (ctl_parse) on arbitrary bytes.
 *
 * Whatever the line, the answer is one of the four commands, the return value
 * agrees with it, and the reason is printable (it goes back over the socket as
 * "ERR reason" and into logs). Accepted lines are exactly the grammar of ctl.c:
 * "GET " + a valid key, "STATS", "SHUTDOWN", each with an optional trailing '\r',
 * never longer than CTL_LINE_MAX; so an accepted line is rebuilt byte for byte
 * from what the parser returned. */
#include <string.h>

#include "ctl.h"
#include "fuzz.h"
#include "msg.h"
#include "param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    struct ctl_req req;
    char canon[CTL_LINE_MAX + 8];

    memset(&req, 0x55, sizeof req);
    int rc = ctl_parse(line, size, &req);
    FUZZ_CHECK(rc == (req.cmd == CTL_BAD ? -1 : 0), "rc %d for cmd %d", rc, (int)req.cmd);
    FUZZ_CHECK((unsigned)req.cmd <= CTL_BAD, "cmd %d", (int)req.cmd);
    FUZZ_CHECK(fuzz_printable(req.why, sizeof req.why), "reason not printable");
    if (size > CTL_LINE_MAX)
        FUZZ_CHECK(req.cmd == CTL_BAD && strcmp(req.why, "line too long") == 0,
                   "%zu bytes: cmd %d, why '%s'", size, (int)req.cmd, req.why);
    if (req.cmd == CTL_BAD) {
        FUZZ_CHECK(req.why[0] != '\0', "a bad line without a reason");
        return 0;
    }
    FUZZ_CHECK(req.why[0] == '\0', "a good line with a reason '%s'", req.why);

    /* Rebuild the line from the request; the input may only add one '\r'. */
    switch (req.cmd) {
    case CTL_GET:
        FUZZ_CHECK(key_valid(req.key, strlen(req.key)), "GET with bad key '%s'", req.key);
        snprintf(canon, sizeof canon, "GET %s", req.key);
        break;
    case CTL_STATS:
        strcpy(canon, "STATS");
        break;
    default:
        strcpy(canon, "SHUTDOWN");
        break;
    }
    size_t n = strlen(canon);
    FUZZ_CHECK((size == n || (size == n + 1 && line[n] == '\r')) && memcmp(line, canon, n) == 0,
               "accepted %zu bytes that are not '%s' (+CR)", size, canon);

    /* And the canonical form parses to the same request. */
    struct ctl_req again;
    FUZZ_CHECK(ctl_parse(canon, n, &again) == 0 && again.cmd == req.cmd &&
                   strcmp(again.key, req.key) == 0,
               "'%s' does not parse back", canon);
    return 0;
}
