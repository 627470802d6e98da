/* fuzz_frame.c: the frame decoders on arbitrary byte streams cut at arbitrary
 * places.
 *
 * The input is a list of chunks, each one length byte L followed by L bytes
 * (the last chunk may be short): the stream is the chunks' bytes concatenated,
 * and the chunk lengths are where the reads of a non-blocking reader would
 * have ended. Three decoders must agree on that stream with a ten-line reference
 * written here from frame.h's wire format:
 *   - the framer fed chunk by chunk (framer_next drained after every feed),
 *     whose buffer must also stay within the bound frame.h promises;
 *   - the framer fed the whole stream at once;
 *   - frame_read from a memfd holding the stream (EPROTO for a truncated frame,
 *     0 for a clean end, EMSGSIZE for a forged length).
 * And frame_append of the decoded bodies rebuilds the decoded prefix exactly. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "frame.h"
#include "fuzz.h"
#include "param.h"

#define MAX_FRAMES 4096         /* inputs are small; more frames than this: stop comparing */

struct ref {                    /* what the reference decoder found */
    size_t nframes;
    size_t off[MAX_FRAMES];     /* body offset in the stream */
    size_t len[MAX_FRAMES];
    size_t used;                /* bytes of complete frames */
    int oversized;              /* stopped at a length over FRAME_MAX */
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void reference(const uint8_t *s, size_t n, struct ref *r)
{
    size_t pos = 0;
    r->nframes = 0;
    r->oversized = 0;
    while (n - pos >= FRAME_HDR && r->nframes < MAX_FRAMES) {
        uint32_t len = le32(s + pos);
        if (len > FRAME_MAX) {
            r->oversized = 1;
            break;
        }
        if (n - pos - FRAME_HDR < len)
            break;
        r->off[r->nframes] = pos + FRAME_HDR;
        r->len[r->nframes] = len;
        r->nframes++;
        pos += FRAME_HDR + len;
    }
    r->used = pos;
}

/* Compare frame i of a decoder with the reference. */
static void same_frame(const char *who, const struct ref *r, size_t i, const uint8_t *stream,
                       const uint8_t *body, size_t len)
{
    FUZZ_CHECK(i < r->nframes, "%s: frame %zu, the reference has %zu", who, i, r->nframes);
    FUZZ_CHECK(len == r->len[i] && (len == 0 || memcmp(body, stream + r->off[i], len) == 0),
               "%s: frame %zu differs (%zu bytes, expected %zu)", who, i, len, r->len[i]);
}

/* Take every complete frame; returns -1 once the framer reported EMSGSIZE. */
static int drain(struct framer *f, const struct ref *r, const uint8_t *stream, size_t *i,
                 size_t *largest)
{
    const uint8_t *body;
    size_t len;
    int rc = 0;
    while (*i < MAX_FRAMES && (rc = framer_next(f, &body, &len)) == 1) {
        same_frame("framer", r, *i, stream, body, len);
        if (len > *largest)
            *largest = len;
        (*i)++;
    }
    if (*i < MAX_FRAMES && rc < 0) {
        FUZZ_CHECK(errno == EMSGSIZE, "framer_next errno %d", errno);
        return -1;
    }
    return 0;
}

static void check_framer_chunked(const uint8_t *data, size_t size, const uint8_t *stream,
                                 const struct ref *r)
{
    struct framer f;
    size_t i = 0, largest = 0, biggest_feed = 0, pos = 0;
    int bad = 0;
    framer_init(&f);
    while (pos < size && !bad) {
        size_t n = data[pos++];
        if (n > size - pos)
            n = size - pos;
        FUZZ_CHECK(framer_feed(&f, data + pos, n) == 0, "framer_feed failed");
        pos += n;
        if (n > biggest_feed)
            biggest_feed = n;
        /* frame.h: about twice the largest frame plus the largest feed. The frame
         * still pending counts as the largest too: its header says how big. */
        size_t pending = f.in.len - f.off, announced = 0;
        if (pending >= FRAME_HDR)
            announced = le32(f.in.data + f.off);
        size_t frame = (largest > announced ? largest : announced) + FRAME_HDR;
        FUZZ_CHECK(i >= MAX_FRAMES || f.in.len <= 2 * frame + biggest_feed,
                   "framer holds %zu bytes; largest frame %zu, largest feed %zu",
                   f.in.len, frame, biggest_feed);
        bad = drain(&f, r, stream, &i, &largest) < 0;
    }
    if (i < MAX_FRAMES) {
        FUZZ_CHECK(i == r->nframes, "framer (chunked) found %zu frames, expected %zu", i, r->nframes);
        FUZZ_CHECK(bad == r->oversized, "framer (chunked) oversized %d, expected %d", bad, r->oversized);
    }
    framer_free(&f);
}

static void check_framer_whole(const uint8_t *stream, size_t n, const struct ref *r)
{
    struct framer f;
    size_t i = 0, largest = 0;
    framer_init(&f);
    FUZZ_CHECK(framer_feed(&f, stream, n) == 0, "framer_feed failed");
    int bad = drain(&f, r, stream, &i, &largest) < 0;
    if (i < MAX_FRAMES) {
        FUZZ_CHECK(i == r->nframes, "framer (whole) found %zu frames, expected %zu", i, r->nframes);
        FUZZ_CHECK(bad == r->oversized, "framer (whole) oversized %d, expected %d", bad, r->oversized);
    }
    framer_free(&f);
}

static void check_frame_read(const uint8_t *stream, size_t n, const struct ref *r)
{
    int fd = memfd_create("fuzz_frame", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
    FUZZ_CHECK(n == 0 || (write(fd, stream, n) == (ssize_t)n && lseek(fd, 0, SEEK_SET) == 0),
               "memfd write: %s", strerror(errno));
    struct buf body = BUF_INIT;
    size_t i = 0;
    int rc = 0;
    while (i < MAX_FRAMES && (rc = frame_read(fd, &body)) == 1) {
        same_frame("frame_read", r, i, stream, body.data, body.len);
        i++;
    }
    if (i < MAX_FRAMES) {
        FUZZ_CHECK(i == r->nframes, "frame_read found %zu frames, expected %zu", i, r->nframes);
        if (r->oversized)
            FUZZ_CHECK(rc < 0 && errno == EMSGSIZE, "frame_read: expected EMSGSIZE, got %d/%d", rc, errno);
        else if (r->used == n)
            FUZZ_CHECK(rc == 0, "frame_read: expected a clean EOF, got %d/%d", rc, errno);
        else
            FUZZ_CHECK(rc < 0 && errno == EPROTO, "frame_read: expected EPROTO, got %d/%d", rc, errno);
    }
    buf_free(&body);
    close(fd);
}

/* frame_append of the reference's bodies gives back the bytes they came from. */
static void check_append(const uint8_t *stream, const struct ref *r)
{
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < r->nframes; i++)
        FUZZ_CHECK(frame_append(&out, stream + r->off[i], r->len[i]) == 0, "frame_append failed");
    FUZZ_CHECK(out.len == r->used && (r->used == 0 || memcmp(out.data, stream, r->used) == 0),
               "frame_append does not rebuild the %zu decoded bytes", r->used);
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ref r;        /* 64 KiB: not on the stack */
    uint8_t *stream = malloc(size + 1);
    size_t n = 0;
    FUZZ_CHECK(stream != NULL, "malloc");
    for (size_t pos = 0; pos < size;) {     /* concatenate the chunks */
        size_t len = data[pos++];
        if (len > size - pos)
            len = size - pos;
        memcpy(stream + n, data + pos, len);
        n += len;
        pos += len;
    }
    reference(stream, n, &r);
    check_framer_chunked(data, size, stream, &r);
    check_framer_whole(stream, n, &r);
    check_frame_read(stream, n, &r);
    check_append(stream, &r);
    free(stream);
    return 0;
}
