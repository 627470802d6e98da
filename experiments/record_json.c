/* record_json.c: the nested record and the numeric array in JSON through
 * jansson (see record.h). Every double is printed with 17 significant digits so
 * that it reads back bit for bit, which is most of JSON's cost for numbers. */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "record_internal.h"

static int js_write(const char *p, size_t n, void *data)
{
    return buf_append(data, p, n);
}

/* Dump (and free) a built tree into out. */
static int js_dump(json_t *root, struct buf *out)
{
    if (!root) {
        errno = ENOMEM;
        return -1;
    }
    /* 17 significant digits: every double reads back bit for bit. */
    int rc = json_dump_callback(root, js_write, out, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (rc < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int record_js_nested_encode(const struct nested *r, struct buf *out)
{
    json_t *o = json_object(), *st = json_object(), *rec = json_array();
    if (!o || !st || !rec) {
        json_decref(o), json_decref(st), json_decref(rec);
        errno = ENOMEM;
        return -1;
    }
    json_object_set_new(st, "messages", json_integer((json_int_t)r->messages));
    json_object_set_new(st, "data_count", json_integer((json_int_t)r->data_count));
    json_object_set_new(st, "invalid", json_integer((json_int_t)r->invalid));
    json_object_set_new(st, "sum", json_real(r->sum));
    json_object_set_new(st, "min", json_real(r->min));
    json_object_set_new(st, "max", json_real(r->max));
    json_object_set_new(st, "last", json_real(r->last));
    json_object_set_new(st, "feature_sum", json_real(r->feature_sum));
    for (uint32_t i = 0; i < r->nrecent; i++)
        json_array_append_new(rec, json_real(r->recent[i]));
    json_object_set_new(o, "key", json_string(r->key));
    json_object_set_new(o, "state", json_integer(r->state));
    json_object_set_new(o, "stats", st);
    json_object_set_new(o, "recent", rec);
    return js_dump(o, out);
}

static int js_u64(json_t *o, const char *k, uint64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int js_f64(json_t *v, double *out)
{
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

static int js_nested_fields(json_t *o, struct nested *r)
{
    json_t *key = json_object_get(o, "key"), *st = json_object_get(o, "stats");
    json_t *rec = json_object_get(o, "recent");
    uint64_t state;
    if (!json_is_object(o) || json_object_size(o) != 4 || !json_is_string(key) ||
        json_string_length(key) == 0 || json_string_length(key) > KEY_MAX ||
        !json_is_object(st) || json_object_size(st) != 8 || !json_is_array(rec) ||
        json_array_size(rec) > RECORD_RECENT || js_u64(o, "state", &state) < 0 ||
        state > UINT8_MAX)
        return -1;
    memcpy(r->key, json_string_value(key), json_string_length(key) + 1);
    r->state = (uint8_t)state;
    if (js_u64(st, "messages", &r->messages) < 0 || js_u64(st, "data_count", &r->data_count) < 0 ||
        js_u64(st, "invalid", &r->invalid) < 0 ||
        js_f64(json_object_get(st, "sum"), &r->sum) < 0 ||
        js_f64(json_object_get(st, "min"), &r->min) < 0 ||
        js_f64(json_object_get(st, "max"), &r->max) < 0 ||
        js_f64(json_object_get(st, "last"), &r->last) < 0 ||
        js_f64(json_object_get(st, "feature_sum"), &r->feature_sum) < 0)
        return -1;
    r->nrecent = (uint32_t)json_array_size(rec);
    for (uint32_t i = 0; i < r->nrecent; i++)
        if (js_f64(json_array_get(rec, i), &r->recent[i]) < 0)
            return -1;
    return 0;
}

int record_js_array_encode(const struct numarray *a, struct buf *out)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < a->n; i++)
        json_array_append_new(arr, json_real(a->v[i]));
    return js_dump(arr, out);
}

static int js_array_fill(json_t *arr, struct numarray *a)
{
    if (!json_is_array(arr) || json_array_size(arr) > RECORD_ARRAY)
        return -1;
    a->n = (uint32_t)json_array_size(arr);
    for (uint32_t i = 0; i < a->n; i++)
        if (js_f64(json_array_get(arr, i), &a->v[i]) < 0)
            return -1;
    return 0;
}

/* Parse in[0..len) and let fill() read the tree. */
static int js_decode(const uint8_t *in, size_t len, int (*fill)(json_t *, void *), void *dst)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = root ? fill(root, dst) : -1;
    json_decref(root);
    if (rc < 0) {
        errno = EBADMSG;
        return -1;
    }
    return 0;
}

static int js_fill_nested(json_t *o, void *dst) { return js_nested_fields(o, dst); }
static int js_fill_array(json_t *o, void *dst) { return js_array_fill(o, dst); }


int record_js_nested_decode(const uint8_t *in, size_t len, struct nested *r)
{
    return js_decode(in, len, js_fill_nested, r);
}

int record_js_array_decode(const uint8_t *in, size_t len, struct numarray *a)
{
    return js_decode(in, len, js_fill_array, a);
}
