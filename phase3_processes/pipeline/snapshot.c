/* snapshot.c: a durable run's snapshot, encoded and checked (see snapshot.h).
 * Field by field, little-endian (lib/le.h), never a struct's bytes: the file
 * outlives the process, and a struct's padding would carry garbage into it. */
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "le.h"
#include "param.h"
#include "recovery.h"
#include "registry.h"

uint64_t snapshot_checksum(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static int put64(struct buf *b, uint64_t v)
{
    uint8_t t[8];
    le_put64(t, v);
    return buf_append(b, t, sizeof t);
}

static int put_row(struct keystate *ks, void *arg)
{
    uint8_t r[SNAPSHOT_ROW] = { 0 }, *p = r + KEY_MAX + 1;
    memcpy(r, ks->key, strnlen(ks->key, KEY_MAX));
    le_put32(p, (uint32_t)ks->state);
    p += 4;
    const uint64_t v[9] = { ks->messages, ks->data_count, ks->invalid, dbits(ks->sum), dbits(ks->min),
                            dbits(ks->max), dbits(ks->last), dbits(ks->feature_sum), ks->last_seq };
    for (int i = 0; i < 9; i++, p += 8)
        le_put64(p, v[i]);
    return buf_append(arg, r, sizeof r);
}

int snapshot_encode(struct buf *out, const char *fp, uint64_t position, uint64_t number,
                    const struct recovery *const *recs, unsigned workers)
{
    size_t start = out->len, fl = strlen(fp);
    uint8_t t[4];
    le_put32(t, (uint32_t)fl);
    if (buf_append(out, SNAPSHOT_MAGIC, 8) < 0 || buf_append(out, t, 4) < 0 || buf_append(out, fp, fl) < 0
        || put64(out, position) < 0 || put64(out, number) < 0)
        return -1;
    le_put32(t, workers);
    if (buf_append(out, t, 4) < 0)
        return -1;
    for (unsigned i = 0; i < workers; i++) {
        const struct recovery *r = recs[i];
        size_t lb = recovery_log_bytes(r);
        if (put64(out, r->ckpt_applied) < 0 || put64(out, r->ckpt_seq) < 0
            || put64(out, registry_count(r->ckpt)) < 0 || put64(out, r->log_n) < 0 || put64(out, lb) < 0
            || registry_each(r->ckpt, put_row, out) != 0 || (lb && buf_append(out, r->log.data + r->log_off, lb) < 0))
            return -1;
    }
    return put64(out, snapshot_checksum(out->data + start, out->len - start));
}

/* A reader over the bytes: every take checks what is left. */
struct rd {
    const uint8_t *p;
    size_t left;
};

static const uint8_t *take(struct rd *r, size_t n)
{
    if (r->left < n)
        return NULL;
    const uint8_t *q = r->p;
    r->p += n;
    r->left -= n;
    return q;
}

static int take64(struct rd *r, uint64_t *v)
{
    const uint8_t *q = take(r, 8);
    if (q)
        *v = le_get64(q);
    return q ? 0 : -1;
}

/* Rows: each key NUL-terminated, not empty and not seen before in the slot, a
 * known state. */
static int rows_ok(const uint8_t *row, uint64_t n)
{
    struct registry *seen = registry_new();
    int rc = seen ? 0 : -1;
    for (uint64_t i = 0; rc == 0 && i < n; i++, row += SNAPSHOT_ROW) {
        size_t kl = strnlen((const char *)row, KEY_MAX + 1);
        if (kl == 0 || kl > KEY_MAX || le_get32(row + KEY_MAX + 1) > ST_STOPPED
            || registry_find(seen, (const char *)row, kl) || !registry_get(seen, (const char *)row, kl))
            rc = -1;
    }
    registry_free(seen);
    return rc;
}

/* The fingerprint is text: no control bytes (and so no NUL). */
static int fp_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return -1;
    return 0;
}

/* The log: exactly n whole message frames. */
static int log_ok(const uint8_t *p, size_t len, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (len < FRAME_HDR)
            return -1;
        size_t body = frame_hdr_get(p);
        if (body < 1 || body > FRAME_MAX || len - FRAME_HDR < body || p[FRAME_HDR] != 'M')
            return -1;
        p += FRAME_HDR + body;
        len -= FRAME_HDR + body;
    }
    return len == 0 ? 0 : -1;
}

static int decode_slot(struct rd *r, struct snapshot_slot *sl, const char **why)
{
    uint64_t lb;
    if (take64(r, &sl->applied) < 0 || take64(r, &sl->last_seq) < 0 || take64(r, &sl->rows) < 0
        || take64(r, &sl->log_n) < 0 || take64(r, &lb) < 0)
        return *why = "truncated slot header", -1;
    if (sl->rows > r->left / SNAPSHOT_ROW || !(sl->row = take(r, (size_t)sl->rows * SNAPSHOT_ROW)))
        return *why = "truncated rows", -1;
    if (rows_ok(sl->row, sl->rows) < 0)
        return *why = "a row that cannot be (key, state, or a key twice)", -1;
    if (lb > r->left || !(sl->log = take(r, (size_t)lb)))
        return *why = "truncated replay log", -1;
    sl->log_bytes = (size_t)lb;
    if (log_ok(sl->log, sl->log_bytes, sl->log_n) < 0)
        return *why = "a replay log that is not whole message frames", -1;
    return 0;
}

int snapshot_decode(const uint8_t *p, size_t n, struct snapshot *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    const char *why = NULL;
    struct rd r = { p, n };
    const uint8_t *q;
    if (n < 8 + 8 || memcmp(p, SNAPSHOT_MAGIC, 8) != 0) {
        why = "not a snapshot (bad magic)";
    } else if (le_get64(p + n - 8) != snapshot_checksum(p, n - 8)) {
        why = "checksum mismatch (torn or corrupt)";
    } else {
        r.left = n - 8;
        take(&r, 8);
        if (!(q = take(&r, 4)) || (s->fp_len = le_get32(q)) > SNAPSHOT_FP_MAX || !(q = take(&r, s->fp_len))
            || take64(&r, &s->position) < 0 || take64(&r, &s->number) < 0 || !(q = take(&r, 4)))
            why = "truncated header";
        else if (fp_ok(p + 12, s->fp_len) < 0)
            why = "a fingerprint that is not text";
        else if ((s->workers = le_get32(r.p - 4)) < 1 || s->workers > WORKERS_MAX)
            why = "a worker count out of range";
        else if (!(s->slot = calloc(s->workers, sizeof *s->slot)))
            why = "out of memory";
        s->fp = (const char *)p + 12;
        for (unsigned i = 0; !why && i < s->workers; i++)
            decode_slot(&r, &s->slot[i], &why);
        if (!why && r.left != 0)
            why = "bytes after the last slot";
    }
    if (why) {
        snapshot_free(s);
        snprintf(err, errlen, "%s", why);
        errno = EBADMSG;
        return -1;
    }
    return 0;
}

void snapshot_row(const struct snapshot_slot *sl, uint64_t i, struct keystate *ks)
{
    const uint8_t *r = sl->row + i * SNAPSHOT_ROW, *p = r + KEY_MAX + 1 + 4;
    size_t kl = strnlen((const char *)r, KEY_MAX);
    fsm_init(ks, (const char *)r, kl);
    ks->state = (enum state)le_get32(r + KEY_MAX + 1);
    uint64_t v[9];
    for (int k = 0; k < 9; k++, p += 8)
        v[k] = le_get64(p);
    ks->messages = v[0];
    ks->data_count = v[1];
    ks->invalid = v[2];
    ks->sum = bitsd(v[3]);
    ks->min = bitsd(v[4]);
    ks->max = bitsd(v[5]);
    ks->last = bitsd(v[6]);
    ks->feature_sum = bitsd(v[7]);
    ks->last_seq = v[8];
}

void snapshot_free(struct snapshot *s)
{
    free(s->slot);
    memset(s, 0, sizeof *s);
}
