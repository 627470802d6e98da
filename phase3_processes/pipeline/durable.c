/* durable.c: snapshots taken and resumed (see durable.h). */
#include "durable.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frame.h"
#include "registry.h"
#include "snapshot.h"
#include "statedir.h"
#include "stream.h"
#include "sup_state.h"
#include "timing.h"

/* What the snapshots are valid for: the input (a file by its real path, size
 * and modification time; the built-in source by its flags) and the flags that
 * decide which worker applies what, and how the logs are encoded. */
static int fingerprint(struct sup *s)
{
    const struct stream_opts *in = &s->o->cli->stream;
    char head[SNAPSHOT_FP_MAX / 2];
    if (in->input) {
        struct stat st;
        char *real = realpath(in->input, NULL);
        if (!real || stat(real, &st) < 0) {
            sup_fail(s, "--state-dir: cannot find '%s': %s", in->input, strerror(errno));
            free(real);
            return -1;
        }
        snprintf(head, sizeof head, "input=%s size=%lld mtime=%lld.%09ld", real, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        free(real);
    } else {
        const struct source_opts *o = &in->src;
        snprintf(head, sizeof head, "built-in messages=%" PRIu64 " keys=%u dist=%s zipf_s=%.17g seed=%" PRIu64
                 " payload=%u", o->messages, o->keys, dist_name(o->dist), o->zipf_s, o->seed, o->payload);
    }
    snprintf(s->fp, sizeof s->fp, "%s workers=%u route=%s codec=%s", head, s->o->workers, route_name(s->o->route),
             codec_name(s->o->codec));
    return 0;
}

/* The first field (space-separated name=value) where fingerprints a (n bytes)
 * and b differ, as "name=value" of each, for a one-line refusal. */
static void fp_diff(const char *a, size_t n, const char *b, char *wa, char *wb, size_t len)
{
    size_t i = 0, start = 0, bl = strlen(b);
    for (; i < n && i < bl && a[i] == b[i]; i++)
        if (a[i] == ' ')
            start = i + 1;
    size_t ea = start, eb = start;
    while (ea < n && a[ea] != ' ')
        ea++;
    while (eb < bl && b[eb] != ' ')
        eb++;
    snprintf(wa, len, "%.*s", (int)(ea - start), a + start);
    snprintf(wb, len, "%.*s", (int)(eb - start), b + start);
}

/* Slot i starts from snapshot slot d: its checkpoint rows and its log. */
static int load_slot(struct worker_slot *sl, const struct snapshot_slot *d)
{
    struct recovery *r = &sl->rec;
    for (uint64_t k = 0; k < d->rows; k++) {
        struct keystate ks;
        snapshot_row(d, k, &ks);
        if (registry_put(r->ckpt, &ks) < 0)
            return -1;
    }
    r->ckpt_applied = d->applied;
    r->ckpt_seq = d->last_seq;
    for (size_t off = 0; off < d->log_bytes;) {
        size_t len = FRAME_HDR + frame_hdr_get(d->log + off);
        if (recovery_log(r, d->log + off, len) < 0)
            return -1;
        off += len;
    }
    sl->routed = d->applied + d->log_n;
    sl->done = d->applied;
    return 0;
}

/* Read the input on to the snapshot's position. */
static int skip_input(struct sup *s, uint64_t position)
{
    for (uint64_t i = 0; i < position; i++) {
        struct msg m;
        int rc = stream_next(s->in, &m);
        if (rc <= 0) {
            s->refused = 1;
            sup_fail(s, "--resume: the input ends after %" PRIu64 " messages, before the snapshot's position %"
                     PRIu64 ": not the input the snapshot was made for", i, position);
            return -1;
        }
    }
    s->resume_skipped = position;
    return 0;
}

/* The newest snapshot that decodes; a bad one is reported and the one before tried. */
static int load_newest(struct sup *s, struct snapshot *snap, struct buf *bytes)
{
    const char *dir = s->o->state_dir;
    uint64_t nums[8];
    char err[256];
    int n = statedir_list(dir, nums, 8, s->why, sizeof s->why);
    if (n < 0)
        return s->failed = 1, -1;
    for (int i = 0; i < n; i++) {
        if (statedir_read(dir, nums[i], bytes, err, sizeof err) == 0
            && snapshot_decode(bytes->data, bytes->len, snap, err, sizeof err) == 0)
            return 1;
        fprintf(stderr, "phase3: --resume: snapshot %s/snap-%" PRIu64 " is unusable (%s), moved aside to "
                "snap-%" PRIu64 ".bad%s\n", dir, nums[i], err, nums[i], i + 1 < n ? "; using the one before it" : "");
        statedir_discard(dir, nums[i]);
        s->resume_bad++;
    }
    return 0;
}

int durable_start(struct sup *s)
{
    if (!s->o->state_dir)
        return 0;
    if (fingerprint(s) < 0 || statedir_open(s->o->state_dir, s->why, sizeof s->why) < 0)
        return s->failed = 1, -1;
    if (!s->o->resume)
        return 0;
    struct snapshot snap;
    struct buf bytes = BUF_INIT;
    int rc = load_newest(s, &snap, &bytes);
    if (rc <= 0) {
        buf_free(&bytes);
        if (rc == 0 && !s->o->cli->quiet)
            fprintf(stderr, "phase3: --resume: no usable snapshot in %s: starting from the beginning\n",
                    s->o->state_dir);
        return rc;
    }
    if (snap.fp_len != strlen(s->fp) || memcmp(snap.fp, s->fp, snap.fp_len) != 0) {
        char was[128], now[128];
        fp_diff(snap.fp, snap.fp_len, s->fp, was, now, sizeof was);
        s->refused = 1;
        sup_fail(s, "--resume: the snapshot in %s was made for another run: %s there, %s here", s->o->state_dir,
                 was, now);
        rc = -1;
    }
    for (unsigned i = 0; rc > 0 && i < s->o->workers; i++)
        if (load_slot(&s->slots[i], &snap.slot[i]) < 0) {
            sup_fail(s, "out of memory loading the snapshot");
            rc = -1;
        }
    if (rc > 0) {
        s->resumed_from = s->snap_number = snap.number;
        for (unsigned i = 0; i < s->o->workers; i++)
            s->resume_rows += snap.slot[i].rows, s->resume_replay += snap.slot[i].log_n;
        rc = skip_input(s, snap.position);
    }
    snapshot_free(&snap);
    buf_free(&bytes);
    return rc < 0 ? -1 : 0;
}

void durable_timer(uv_timer_t *h)
{
    struct sup *s = h->data;
    /* Also while draining: checkpoints + logs still hold every message routed
     * (a worker that finished keeps its slot's record), so a supervisor killed
     * in the drain resumes with little to redo. */
    if (s->phase == SUP_DONE || s->failed)
        return;
    const struct recovery *recs[WORKERS_MAX];
    for (unsigned i = 0; i < s->o->workers; i++)
        recs[i] = &s->slots[i].rec;
    uint64_t t0 = now_ns();
    char err[256];
    buf_reset(&s->snap_buf);
    if (snapshot_encode(&s->snap_buf, s->fp, s->resume_skipped + s->routed, s->snap_number + 1, recs,
                        s->o->workers) < 0
        || statedir_save(s->o->state_dir, s->snap_number + 1, s->snap_buf.data, s->snap_buf.len, err,
                         sizeof err) < 0) {
        if (!s->snap_failures++)
            fprintf(stderr, "phase3: snapshot %" PRIu64 " failed: %s (the run goes on; a resume would start "
                    "from the last good one)\n", s->snap_number + 1, s->snap_buf.len ? err : strerror(errno));
        return;
    }
    s->snap_number++;
    s->snaps++;
    s->snap_last_bytes = s->snap_buf.len;
    s->snap_total_bytes += s->snap_buf.len;
    hist_add(&s->snap_ns, now_ns() - t0);
}

void durable_describe(const struct sup *s, char *out, size_t len)
{
    int n = snprintf(out, len, "  durable: %" PRIu64 " snapshots into %s every %u ms (%" PRIu64 " failed), "
                     "p50 %.2f ms, max %.2f ms each (encode + write + fsync + rename + fsync of the directory), "
                     "%zu bytes the last, %.1f KiB in all",
                     s->snaps, s->o->state_dir, s->o->snapshot_ms, s->snap_failures,
                     (double)hist_quantile(&s->snap_ns, 0.5) / 1e6, (double)s->snap_ns.max / 1e6,
                     s->snap_last_bytes, (double)s->snap_total_bytes / 1024);
    if (s->resumed_from && n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, "; resumed from snapshot %" PRIu64 "%s: skipped %" PRIu64
                 " input messages already routed, restored %" PRIu64 " checkpoint rows, replayed %" PRIu64
                 " logged messages", s->resumed_from, s->resume_bad ? " (newer ones unusable)" : "",
                 s->resume_skipped, s->resume_rows, s->resume_replay);
}
