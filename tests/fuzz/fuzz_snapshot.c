/* fuzz_snapshot.c: a durable run's snapshot file (phase3_processes/pipeline/
 * snapshot.h), the one decoder of bytes that come back from disk.
 *
 * snapshot_decode on arbitrary bytes. Refused: errno EBADMSG, a printable
 * reason, *s empty. Accepted: 1..WORKERS_MAX slots; every row a key of
 * 1..KEY_MAX bytes, a known state, no key twice in a slot; every log exactly
 * log_n message frames; then the snapshot rebuilt through the supervisor's own
 * structures (recovery_init, registry_put, recovery_log) and encoded again
 * decodes to the same snapshot (same fingerprint, position, number, per slot
 * the same boundary, rows as a set, log bytes), and flipping any one byte of an
 * accepted input gets it refused (the checksum covers every byte).
 * Each input is tried twice: as it is, and sealed (its checksum appended), so
 * that mutations reach the structure behind the checksum. */
#include <errno.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "param.h"
#include "recovery.h"
#include "registry.h"
#include "snapshot.h"

static void check_refused(const char *err, const struct snapshot *s)
{
    FUZZ_CHECK(errno == EBADMSG, "errno %d", errno);
    FUZZ_CHECK(err[0] != '\0', "empty reason");
    for (const char *c = err; *c; c++)
        FUZZ_CHECK(*c >= 0x20 && *c < 0x7f, "unprintable reason");
    FUZZ_CHECK(s->workers == 0 && s->slot == NULL, "a refused snapshot left slots");
}

/* Slot d rebuilt as the supervisor holds it. */
static void rebuild(struct recovery *r, const struct snapshot_slot *d)
{
    FUZZ_CHECK(recovery_init(r) == 0, "out of memory");
    for (uint64_t k = 0; k < d->rows; k++) {
        struct keystate ks;
        snapshot_row(d, k, &ks);
        size_t kl = strlen(ks.key);
        FUZZ_CHECK(kl >= 1 && kl <= KEY_MAX && ks.state <= ST_STOPPED, "row %llu", (unsigned long long)k);
        FUZZ_CHECK(registry_put(r->ckpt, &ks) == 0, "out of memory");
    }
    FUZZ_CHECK(registry_count(r->ckpt) == d->rows, "a key twice in a slot was accepted");
    r->ckpt_applied = d->applied;
    r->ckpt_seq = d->last_seq;
    for (size_t off = 0; off < d->log_bytes;) {
        size_t len = FRAME_HDR + frame_hdr_get(d->log + off);
        FUZZ_CHECK(len <= d->log_bytes - off, "a frame past the log's end");
        FUZZ_CHECK(recovery_log(r, d->log + off, len) == 0, "out of memory");
        off += len;
    }
    FUZZ_CHECK(r->log_n == d->log_n, "log_n %llu, frames %llu", (unsigned long long)d->log_n,
               (unsigned long long)r->log_n);
}

static void same_slot(const struct snapshot_slot *a, const struct snapshot_slot *b, const struct recovery *r)
{
    FUZZ_CHECK(a->applied == b->applied && a->last_seq == b->last_seq && a->rows == b->rows && a->log_n == b->log_n,
               "slot header changed");
    FUZZ_CHECK(a->log_bytes == b->log_bytes && memcmp(a->log, b->log, a->log_bytes) == 0, "log changed");
    for (uint64_t k = 0; k < b->rows; k++) {
        struct keystate ks;
        snapshot_row(b, k, &ks);
        const struct keystate *o = registry_find(r->ckpt, ks.key, strlen(ks.key));
        FUZZ_CHECK(o && memcmp(o, &ks, sizeof ks) == 0, "row %s changed", ks.key);
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    struct snapshot s;
    char err[256] = "";
    errno = 0;
    if (snapshot_decode(data, size, &s, err, sizeof err) < 0) {
        check_refused(err, &s);
        return;
    }
    FUZZ_CHECK(s.workers >= 1 && s.workers <= WORKERS_MAX, "workers %u", s.workers);
    struct recovery recs[WORKERS_MAX];
    const struct recovery *rp[WORKERS_MAX];
    for (unsigned i = 0; i < s.workers; i++) {
        rebuild(&recs[i], &s.slot[i]);
        rp[i] = &recs[i];
    }
    char fp[SNAPSHOT_FP_MAX + 1];
    memcpy(fp, s.fp, s.fp_len);
    fp[s.fp_len] = '\0';
    struct buf out = BUF_INIT;
    FUZZ_CHECK(snapshot_encode(&out, fp, s.position, s.number, rp, s.workers) == 0, "encode failed");
    struct snapshot t;
    FUZZ_CHECK(snapshot_decode(out.data, out.len, &t, err, sizeof err) == 0, "re-encoding refused: %s", err);
    FUZZ_CHECK(t.fp_len == s.fp_len && memcmp(t.fp, s.fp, s.fp_len) == 0 && t.position == s.position
               && t.number == s.number && t.workers == s.workers, "header changed");
    for (unsigned i = 0; i < s.workers; i++)
        same_slot(&s.slot[i], &t.slot[i], &recs[i]);
    /* One byte flipped anywhere (here: the middle one): refused. */
    uint8_t *copy = malloc(size);
    FUZZ_CHECK(copy, "out of memory");
    memcpy(copy, data, size);
    copy[size / 2] ^= 0x01;
    struct snapshot u;
    FUZZ_CHECK(snapshot_decode(copy, size, &u, err, sizeof err) < 0, "a flipped byte at %zu went unnoticed", size / 2);
    free(copy);
    snapshot_free(&t);
    buf_free(&out);
    for (unsigned i = 0; i < s.workers; i++)
        recovery_free(&recs[i]);
    snapshot_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    uint8_t *sealed = malloc(size + 8);
    FUZZ_CHECK(sealed, "out of memory");
    if (size)
        memcpy(sealed, data, size);
    uint64_t h = snapshot_checksum(data, size);
    for (int i = 0; i < 8; i++)
        sealed[size + (size_t)i] = (uint8_t)(h >> (8 * i));
    fuzz_one(sealed, size + 8);
    free(sealed);
    return 0;
}
