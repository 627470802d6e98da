/* batchrec.h: the sensor records of Lecture 36 and the batch function the pool
 * runs (slide 9's processRecordBatch), plus the msgpack encoding of a batch and
 * of its results (the kit's "pickle" for this program). */
#ifndef KIT_BATCHREC_H
#define KIT_BATCHREC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "source.h"

#define BATCH_MAX 100000        /* most records in one batch (--batch upper bound) */

struct sensor_record {
    uint64_t id;                /* position in the stream, from 0 */
    double value;               /* a reading in [-10, 110): the lecture's sensor range around 20..80 */
};

struct record_result {
    uint64_t id;
    double value;
    double normalized;          /* (value - 20) / 60 */
    double feature;             /* sqrt(|normalized|) * log(|value| + 1) */
};

/* The deterministic sensor: seed it once, then each call returns the next record. */
struct sensor { struct rng rng; uint64_t next_id; };
void sensor_init(struct sensor *s, uint64_t seed);
void sensor_next(struct sensor *s, struct sensor_record *r);

/* Slide 9: normalize and compute the feature of every record (no state, no
 * rounding: full doubles, so the parallel run can be compared bit for bit). */
void process_record_batch(const struct sensor_record *in, size_t n, struct record_result *out);

/* The CPU work of a batch: `work` units of lib/fsm.h's work kernel per record
 * (the same unit as the pipelines' --work; bin/workcal says what a unit costs
 * here), salted by the record's id. Returns a value that depends on all of it;
 * it never changes the results, so a run with --work gives the same checksum. */
uint64_t batch_work(const struct sensor_record *in, size_t n, uint32_t work);

/* Append msgpack [index, [id, value, id, value, ...]] to out. 0 or -1 ENOMEM. */
int batch_encode(struct buf *out, uint64_t index, const struct sensor_record *r, size_t n);

/* Decode a batch into *index and recs (room for max records). Returns the record
 * count, or -1 with EBADMSG. */
long batch_decode(const uint8_t *in, size_t len, uint64_t *index, struct sensor_record *recs, size_t max);

/* Append msgpack [index, [id, value, normalized, feature, ...]]. 0 or -1 ENOMEM. */
int results_encode(struct buf *out, uint64_t index, const struct record_result *r, size_t n);

/* Decode results; same contract as batch_decode. */
long results_decode(const uint8_t *in, size_t len, uint64_t *index, struct record_result *res, size_t max);

/* Fold results into a running FNV-1a over (id, normalized, feature) bit patterns:
 * equal checksums mean bit-identical results in the same order. */
uint64_t results_checksum(uint64_t h, const struct record_result *r, size_t n);
#define RESULTS_CHECKSUM_INIT 1469598103934665603ull

#endif
