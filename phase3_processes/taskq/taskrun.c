/* taskrun.c: the result array all of bin/taskq's schemes commit into, and its
 * check (see taskrun.h). A task's only effect is its commit: the value first,
 * then runs += 1 with release order, so a reader that sees runs > 0 (acquire)
 * sees the value. The check is independent of the run: it recounts the
 * commits, sums the ids against n(n-1)/2 and recomputes every value here. */
#include "taskrun.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>

void *taskrun_shared(size_t n)
{
    void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

void taskrun_commit(struct task_result *r, uint64_t id, uint32_t worker, uint64_t value)
{
    r->value = value;
    r->id = id;
    r->worker = worker;
    atomic_fetch_add_explicit(&r->runs, 1, memory_order_release);   /* the commit */
}

uint64_t taskrun_one(const struct taskspec *spec, uint64_t id, uint8_t *scratch)
{
    struct task t;
    taskspec_make(spec, id, &t);
    if (t.nbytes)
        taskspec_bytes(id, scratch, t.nbytes);
    return taskfn_run(&t, t.nbytes ? scratch : NULL);
}

void taskrun_verify(const struct task_result *res, const struct taskspec *spec, bool recheck,
                    struct taskpool_report *rep)
{
    uint64_t n = rep->tasks;
    uint8_t *scratch = spec->nbytes ? malloc(spec->nbytes) : NULL;
    rep->once = rep->missing = rep->dup = rep->bad_id = rep->wrong = rep->id_sum = 0;
    rep->id_sum_expected = n ? (n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1)) : 0;
    rep->rechecked = recheck && (scratch || !spec->nbytes);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t runs = atomic_load(&res[i].runs);
        if (runs == 0) {
            rep->missing++;
            continue;
        }
        if (runs == 1)
            rep->once++;
        else
            rep->dup++;
        if (res[i].id != i)
            rep->bad_id++;
        rep->id_sum += res[i].id;
        if (rep->rechecked && taskrun_one(spec, i, scratch) != res[i].value)
            rep->wrong++;
    }
    free(scratch);
}

bool taskrun_ok(const struct taskpool_report *rep)
{
    return rep->once == rep->tasks && !rep->missing && !rep->dup && !rep->bad_id && !rep->wrong
           && rep->id_sum == rep->id_sum_expected;
}

int taskrun_wait_done(const struct task_result *res, uint64_t n, uint64_t *scan,
                      _Atomic uint32_t *word, _Atomic uint32_t *waiters, int wait_ms)
{
    /* The ticket comes before the check, so a batch finished in between is not
     * slept through: FUTEX_WAIT returns at once if the word has moved. */
    uint32_t ticket = atomic_load(word);
    while (*scan < n && atomic_load_explicit(&res[*scan].runs, memory_order_acquire))
        (*scan)++;
    if (*scan == n)
        return 1;
    atomic_fetch_add(waiters, 1);
    futex_wait_shared(word, ticket, wait_ms);
    atomic_fetch_sub(waiters, 1);
    return 0;
}

void taskrun_notify(_Atomic uint32_t *word, _Atomic uint32_t *waiters)
{
    atomic_fetch_add(word, 1);
    if (atomic_load(waiters))
        futex_wake_shared(word, 1);
}

void taskrun_write(FILE *f, const struct task_result *res, uint64_t n)
{
    fprintf(f, "id,runs,worker,value\n");
    for (uint64_t i = 0; i < n; i++)
        fprintf(f, "%" PRIu64 ",%u,%u,%" PRIu64 "\n", i, (unsigned)atomic_load(&res[i].runs),
                res[i].worker, res[i].value);
}
