/* test_buf.c: the growable buffer appends, consumes and frees as promised. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kit_test.h"

START_TEST(test_append_grows)
{
    struct buf b = BUF_INIT;
    ck_assert_ptr_null(b.data);
    for (unsigned i = 0; i < 100000; i++) {
        uint8_t c = (uint8_t)i;
        ck_assert_int_eq(buf_append(&b, &c, 1), 0);
        ck_assert_uint_ge(b.cap, b.len);
    }
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_uint_le(b.cap, 2 * 100000);           /* doubling, not more */
    for (unsigned i = 0; i < 100000; i++)
        ck_assert_uint_eq(b.data[i], (uint8_t)i);
    ck_assert_int_eq(buf_append(&b, NULL, 0), 0);   /* nothing to add is fine */
    ck_assert_uint_eq(b.len, 100000);
    buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_reserve)
{
    struct buf b = BUF_INIT;
    ck_assert_int_eq(buf_reserve(&b, 1000), 0);
    ck_assert_uint_ge(b.cap, 1000);
    ck_assert_uint_eq(b.len, 0);
    uint8_t *p = b.data;
    ck_assert_int_eq(buf_append(&b, "0123456789", 10), 0);
    ck_assert_ptr_eq(b.data, p);                    /* reserved room: no move */
    errno = 0;
    ck_assert_int_eq(buf_reserve(&b, SIZE_MAX), -1);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(b.len, 10);                   /* a failed reserve leaves b intact */
    ck_assert_mem_eq(b.data, "0123456789", 10);
    buf_free(&b);
}
END_TEST

START_TEST(test_consume_reset)
{
    struct buf b = BUF_INIT;
    ck_assert_int_eq(buf_append(&b, "hello world", 11), 0);
    buf_consume(&b, 6);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_mem_eq(b.data, "world", 5);
    buf_consume(&b, 0);
    ck_assert_uint_eq(b.len, 5);
    buf_consume(&b, 5);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
    size_t cap = b.cap;
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, cap);                  /* memory kept */
    buf_free(&b);
    buf_free(&b);                                   /* freeing twice is harmless */
}
END_TEST

static Suite *buf_suite(void)
{
    const struct kit_case cases[] = {
        { "append_grows", test_append_grows, 10 },
        { "reserve", test_reserve, 10 },
        { "consume_reset", test_consume_reset, 10 },
    };
    return kit_suite("buf", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(buf_suite)
