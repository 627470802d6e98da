/* test_registry.c: the key -> state machine table: no key limit, pointers that
 * survive growth, and bytewise sorted order for the dump. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_test.h"
#include "registry.h"

#define MANY 100000

START_TEST(test_many_keys)
{
    struct registry *r = registry_new();
    struct keystate **first = malloc(MANY * sizeof *first);
    char key[32];
    for (int i = 0; i < MANY; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        struct keystate *ks = registry_get(r, key, (size_t)n);
        ck_assert_msg(ks != NULL, "registry_get failed at key %d", i);
        ck_assert_str_eq(ks->key, key);
        ck_assert_int_eq(ks->state, ST_IDLE);
        ks->messages = (uint64_t)i;     /* mark it, to find it again after growth */
        first[i] = ks;
    }
    ck_assert_uint_eq(registry_count(r), MANY);
    for (int i = 0; i < MANY; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        struct keystate *found = registry_find(r, key, (size_t)n);
        ck_assert_msg(found == first[i], "key %d: the pointer moved when the table grew", i);
        ck_assert_uint_eq(found->messages, (uint64_t)i);
        ck_assert(registry_get(r, key, (size_t)n) == first[i]);  /* no duplicate made */
    }
    ck_assert_uint_eq(registry_count(r), MANY);
    ck_assert(registry_find(r, "key-100000", 10) == NULL);
    ck_assert(registry_find(r, "key-", 4) == NULL);
    free(first);
    registry_free(r);
}
END_TEST

/* "ab" and "abc" share a prefix; a lookup must compare the whole key. */
START_TEST(test_prefix_keys)
{
    struct registry *r = registry_new();
    struct keystate *ab = registry_get(r, "abc", 2);    /* key "ab": only len bytes count */
    struct keystate *abc = registry_get(r, "abc", 3);
    ck_assert(ab != abc);
    ck_assert_str_eq(ab->key, "ab");
    ck_assert_str_eq(abc->key, "abc");
    ck_assert(registry_find(r, "a", 1) == NULL);
    ck_assert_uint_eq(registry_count(r), 2);
    char k32[33];
    memset(k32, 'x', 32);
    errno = 0;
    ck_assert(registry_get(r, k32, 32) == NULL && errno == EINVAL);
    ck_assert(registry_get(r, k32, 31) != NULL);
    registry_free(r);
}
END_TEST

START_TEST(test_sorted_bytewise)
{
    static const char *keys[] = { "k9", "a", "k10", "_", "Z", "A", "0", "-", "k1", ".", "k1a", "k09" };
    /* Bytewise: '-' 2d < '.' 2e < '0' 30 < 'A' 41 < 'Z' 5a < '_' 5f < 'a' 61 < 'k'...,
     * and "k10" < "k9" because '1' < '9': numeric order needs zero-padding. */
    static const char *want[] = { "-", ".", "0", "A", "Z", "_", "a", "k09", "k1", "k10", "k1a", "k9" };
    const size_t n = sizeof keys / sizeof keys[0];
    struct registry *r = registry_new();
    for (size_t i = 0; i < n; i++)
        ck_assert(registry_get(r, keys[i], strlen(keys[i])) != NULL);
    size_t got_n;
    struct keystate **v = registry_sorted(r, &got_n);
    ck_assert_uint_eq(got_n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strcmp(v[i]->key, want[i]) == 0, "position %zu: expected '%s', got '%s'", i,
                      want[i], v[i]->key);
    free(v);
    registry_free(r);

    r = registry_new();
    errno = EBADF;
    v = registry_sorted(r, &got_n);
    ck_assert(v == NULL && got_n == 0 && errno == 0);   /* empty, not out of memory */
    registry_free(r);
}
END_TEST

START_TEST(test_put)
{
    struct registry *r = registry_new();
    struct keystate ks;
    fsm_init(&ks, "k1", 2);
    ks.state = ST_PAUSED;
    ks.messages = 9;
    ck_assert_int_eq(registry_put(r, &ks), 0);
    struct keystate *p = registry_find(r, "k1", 2);
    ck_assert(p != NULL && p != &ks);
    ck_assert(p->state == ST_PAUSED && p->messages == 9);
    ks.messages = 10;
    ck_assert_int_eq(registry_put(r, &ks), 0);          /* replaces, in place */
    ck_assert(registry_find(r, "k1", 2) == p);
    ck_assert_uint_eq(p->messages, 10);
    ck_assert_uint_eq(registry_count(r), 1);
    registry_free(r);
}
END_TEST

static int count_fn(struct keystate *ks, void *arg)
{
    (void)ks;
    return ++*(int *)arg == 5 ? 42 : 0;
}

static int sum_fn(struct keystate *ks, void *arg)
{
    *(uint64_t *)arg += ks->messages;
    return 0;
}

START_TEST(test_each)
{
    struct registry *r = registry_new();
    char key[16];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        registry_get(r, key, (size_t)n)->messages = (uint64_t)i;
    }
    uint64_t sum = 0;
    ck_assert_int_eq(registry_each(r, sum_fn, &sum), 0);
    ck_assert_uint_eq(sum, 4950);
    int calls = 0;
    ck_assert_int_eq(registry_each(r, count_fn, &calls), 42);  /* stopped at the 5th */
    ck_assert_int_eq(calls, 5);
    registry_free(r);
    registry_free(NULL);
}
END_TEST

static Suite *registry_suite(void)
{
    const struct kit_case cases[] = {
        { "many_keys", test_many_keys, 20 },
        { "prefix_keys", test_prefix_keys, 5 },
        { "sorted_bytewise", test_sorted_bytewise, 5 },
        { "put", test_put, 5 },
        { "each", test_each, 5 },
    };
    return kit_suite("registry", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(registry_suite)
