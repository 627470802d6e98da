/* statedir.c: snapshot files, written atomically (see statedir.h). */
#include "statedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"

int statedir_open(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create --state-dir '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--state-dir '%s' is not a directory", dir);
        return -1;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int statedir_save(const char *dir, uint64_t number, const void *p, size_t n, char *err, size_t errlen)
{
    char tmp[4096], fin[4096];
    snprintf(tmp, sizeof tmp, "%s/snap-%" PRIu64 ".tmp", dir, number);
    snprintf(fin, sizeof fin, "%s/snap-%" PRIu64, dir, number);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        return -1;
    }
    if (fd_write_all(fd, p, n) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, fin) < 0 || fsync_dir(dir) < 0) {
        snprintf(err, errlen, "cannot rename '%s' into place: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    uint64_t nums[16];
    int k = statedir_list(dir, nums, 16, err, errlen);
    for (int i = STATEDIR_KEEP; i < k; i++) {
        snprintf(fin, sizeof fin, "%s/snap-%" PRIu64, dir, nums[i]);
        unlink(fin);
    }
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

int statedir_list(const char *dir, uint64_t *nums, int max, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read --state-dir '%s': %s", dir, strerror(errno));
        return -1;
    }
    int n = 0;
    uint64_t all[64];
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        char *end;
        if (strncmp(e->d_name, "snap-", 5) != 0 || e->d_name[5] < '0' || e->d_name[5] > '9')
            continue;
        errno = 0;
        uint64_t v = strtoull(e->d_name + 5, &end, 10);
        if (*end == '\0' && errno == 0)
            all[n++] = v;
    }
    closedir(d);
    qsort(all, (size_t)n, sizeof all[0], newest_first);
    if (n > max)
        n = max;
    memcpy(nums, all, (size_t)n * sizeof all[0]);
    return n;
}

int statedir_read(const char *dir, uint64_t number, struct buf *out, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/snap-%" PRIu64, dir, number);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    buf_reset(out);
    int rc = buf_reserve(out, (size_t)st.st_size + 1);
    if (rc == 0 && st.st_size > 0)
        rc = fd_read_all(fd, out->data, (size_t)st.st_size) == 1 ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno ? errno : EIO));
    else
        out->len = (size_t)st.st_size;
    close(fd);
    return rc;
}

int statedir_discard(const char *dir, uint64_t number)
{
    char from[4096], to[4200];
    snprintf(from, sizeof from, "%s/snap-%" PRIu64, dir, number);
    snprintf(to, sizeof to, "%s.bad", from);
    return rename(from, to);
}
