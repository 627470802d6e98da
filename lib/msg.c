/* msg.c: the message's small vocabulary: op names, key validity, and the one
 * place a message is turned back into a SPEC §1 line. */
#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[OP_COUNT] = {
    [OP_START] = "START", [OP_DATA] = "DATA", [OP_PAUSE] = "PAUSE",
    [OP_RESUME] = "RESUME", [OP_STOP] = "STOP",
};

const char *op_name(enum op op)
{
    return (unsigned)op < OP_COUNT ? op_names[op] : "?";
}

int op_parse(const char *s, size_t n, enum op *out)
{
    for (int i = 0; i < OP_COUNT; i++) {
        if (strlen(op_names[i]) == n && memcmp(op_names[i], s, n) == 0) {
            *out = (enum op)i;
            return 0;
        }
    }
    return -1;
}

/* The key alphabet of SPEC §1. Written out rather than isalnum(), which
 * depends on the locale. */
static bool key_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

bool key_valid(const char *s, size_t n)
{
    if (n == 0 || n > KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!key_char((unsigned char)s[i]))
            return false;
    return true;
}

void msg_set_key(struct msg *m, const char *s, size_t n)
{
    if (n > KEY_MAX)            /* a contract breach; never write past key[] */
        n = KEY_MAX;
    memcpy(m->key, s, n);
    m->key[n] = '\0';
    m->key_len = (uint8_t)n;
}

/* The shortest of %.15g, %.16g, %.17g that strtod reads back as the same
 * double. %.17g always round-trips; trying the shorter ones first keeps
 * "12.34" from coming out as "12.339999999999999". */
static int value_format(double v, char *buf, size_t len)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, len, "%.*g", prec, v);
        if (n < 0 || (size_t)n >= len)
            return -1;
        if (strtod(buf, NULL) == v)
            break;
    }
    return n;
}

int msg_format(const struct msg *m, char *buf, size_t len)
{
    char val[40] = "";
    if (m->has_value && value_format(m->value, val, sizeof val) < 0) {
        errno = EOVERFLOW;
        return -1;
    }
    int n = snprintf(buf, len, "%s,%s,%s\n", m->key, op_name(m->op), val);
    if (n < 0 || (size_t)n >= len) {
        errno = ENOBUFS;
        return -1;
    }
    return n;
}
