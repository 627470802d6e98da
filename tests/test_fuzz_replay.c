/* test_fuzz_replay.c: every file of the committed fuzz corpus through its fuzz
 * target, built with the ordinary compiler (tests/fuzz/fuzz.mk renames each
 * target's LLVMFuzzerTestOneInput to NAME_one). The corpus holds the seeds and
 * every input a fuzzer ever found a bug with, so this is the regression test for
 * all of them, and it needs neither clang nor libFuzzer. Under `make sanitize`
 * the same replay runs with ASan and UBSan.
 *
 * Each file runs in a child of its own: a broken invariant abort()s (see
 * tests/fuzz/fuzz.h), and the test then names the file and how to rerun it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit_test.h"

#ifndef FUZZ_CORPUS_DIR
#define FUZZ_CORPUS_DIR "tests/fuzz/corpus"
#endif

int fuzz_parse_one(const uint8_t *data, size_t size);
int fuzz_frame_one(const uint8_t *data, size_t size);
int fuzz_codec_raw_one(const uint8_t *data, size_t size);
int fuzz_codec_msgpack_one(const uint8_t *data, size_t size);
int fuzz_codec_json_one(const uint8_t *data, size_t size);
int fuzz_ctl_one(const uint8_t *data, size_t size);
int fuzz_dump_row_one(const uint8_t *data, size_t size);
int fuzz_snapshot_one(const uint8_t *data, size_t size);
int fuzz_fmtg17_one(const uint8_t *data, size_t size);

static const struct target {
    const char *name;
    int (*one)(const uint8_t *, size_t);
} targets[] = {
    { "fuzz_parse", fuzz_parse_one },
    { "fuzz_frame", fuzz_frame_one },
    { "fuzz_codec_raw", fuzz_codec_raw_one },
    { "fuzz_codec_msgpack", fuzz_codec_msgpack_one },
    { "fuzz_codec_json", fuzz_codec_json_one },
    { "fuzz_ctl", fuzz_ctl_one },
    { "fuzz_dump_row", fuzz_dump_row_one },
    { "fuzz_snapshot", fuzz_snapshot_one },
    { "fuzz_fmtg17", fuzz_fmtg17_one },
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static const char *corpus_dir(void)
{
    const char *d = getenv("KIT_FUZZ_CORPUS");
    return d && *d ? d : FUZZ_CORPUS_DIR;
}

/* Read a whole file into a buffer of exactly its size (so that ASan sees a read
 * one byte past the input), or NULL. */
static uint8_t *slurp(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    uint8_t *p = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (p && got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r <= 0) {
            free(p);
            p = NULL;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    *size = got;
    return p;
}

/* Run one corpus file in a child. Returns the wait status. */
static int replay_one(const struct target *t, const char *path)
{
    fflush(stderr);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        size_t size;
        uint8_t *data = slurp(path, &size);
        if (!data) {
            fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
            _exit(3);
        }
        t->one(data, size);
        free(data);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    return st;
}

START_TEST(corpus_replays_clean)
{
    const struct target *t = &targets[_i];
    char dir[4096], path[4096 + 256];
    int fds_before = kit_count_fds();

    snprintf(dir, sizeof dir, "%s/%s", corpus_dir(), t->name);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "expected the corpus %s (set KIT_FUZZ_CORPUS): %s", dir, strerror(errno));
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int st = replay_one(t, path);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "%s on %s: expected a clean run, got %s %d (its stderr says which "
                      "invariant; rerun: make fuzz-build VARIANT=fuzz CC=clang O=build/fuzz && "
                      "build/fuzz/fuzz/%s %s)",
                      t->name, path, WIFEXITED(st) ? "exit" : "signal",
                      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), t->name, path);
        files++;
    }
    closedir(d);
    ck_assert_msg(files > 0, "expected seed files in %s, found none", dir);
    kit_assert_clean(fds_before);
}
END_TEST

static Suite *fuzz_replay_suite(void)
{
    Suite *s = suite_create("fuzz_replay");
    /* A few hundred small files, one fork each; generous for valgrind and ASan. */
    tcase_add_loop_test(kit_tcase(s, "corpus_replays_clean", 60), corpus_replays_clean,
                        0, (int)NTARGETS);
    return s;
}

KIT_TEST_MAIN(fuzz_replay_suite)
