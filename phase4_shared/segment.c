/* segment.c: the run's shared memory (segment.h). */
#include "segment.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

size_t seg_round(size_t n)
{
    return (n + SEG_ALIGN - 1) / SEG_ALIGN * SEG_ALIGN;
}

void *seg_map(size_t size, const char *name, char *err, size_t errlen)
{
    /* MFD_CLOEXEC: a program exec'd later never inherits the descriptor; we close
     * it below anyway: the mapping keeps the file alive, and fork() copies the
     * mapping, not the descriptor. */
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "memfd_create() failed: %s", strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = errno;
        snprintf(err, errlen, "ftruncate() of the %zu-byte segment failed: %s", size, strerror(e));
        close(fd);
        errno = e;
        return NULL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "mmap() of the %zu-byte segment failed: %s", size, strerror(e));
        errno = e;
        return NULL;
    }
    return p;
}

void seg_unmap(void *base, size_t size)
{
    if (base)
        munmap(base, size);
}
