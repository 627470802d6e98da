/* peers.c: rank 0's MPI traffic with the worker ranks. Every call here is
 * non-blocking (MPI_Isend, MPI_Test, MPI_Iprobe, and MPI_Recv only of a
 * message MPI_Iprobe has shown is there), so the loop that calls it never
 * waits for a worker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "peers.h"

int peers_init(struct peers *ps, MPI_Comm comm, unsigned n, unsigned depth, struct asks *asks)
{
    *ps = (struct peers){ .comm = comm, .n = n, .asks = asks };
    ps->p = calloc(n, sizeof *ps->p);
    ps->final = registry_new();
    if (!ps->p || !ps->final) {
        free(ps->p);
        registry_free(ps->final);
        errno = ENOMEM;
        return -1;
    }
    for (unsigned i = 0; i < PEERS_GETS; i++)
        ps->gets[i].req = MPI_REQUEST_NULL;
    for (unsigned w = 0; w < n; w++) {
        outbox_init(&ps->p[w].ob, comm, (int)w + 1, depth);
        ps->p[w].end_req = ps->p[w].bye_req = MPI_REQUEST_NULL;
    }
    return 0;
}

static int mpi_fail(int rc, const char *what, char *err, size_t errlen)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, s, &len);
    snprintf(err, errlen, "%s: %s", what, s);
    return -1;
}

static int recv_bytes(struct peers *ps, const MPI_Status *st, char *err, size_t errlen)
{
    int n = 0;
    MPI_Get_count(st, MPI_BYTE, &n);
    buf_reset(&ps->in);
    if (buf_reserve(&ps->in, (size_t)n + 1) < 0) {
        snprintf(err, errlen, "no memory for %d bytes from rank %d", n, st->MPI_SOURCE);
        return -1;
    }
    int rc = MPI_Recv(ps->in.data, n, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, ps->comm, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return mpi_fail(rc, "MPI_Recv from a worker rank", err, errlen);
    ps->in.len = (size_t)n;
    ps->in.data[n] = '\0';
    return 0;
}

static int take_rows(struct peers *ps, unsigned w, char *err, size_t errlen)
{
    char *p = (char *)ps->in.data, *end = p + ps->in.len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct keystate ks;
        if (dump_parse_row(p, len, &ks) < 0) {
            snprintf(err, errlen, "rank %u sent a row that does not parse: '%.*s'", w + 1,
                     (int)(len < 80 ? len : 80), p);
            return -1;
        }
        if (registry_put(ps->final, &ks) < 0) {
            snprintf(err, errlen, "no memory for the rows of rank %u", w + 1);
            return -1;
        }
        p += len + 1;
    }
    ps->p[w].rows_in = true;
    return 0;
}

static int take(struct peers *ps, const MPI_Status *st, char *err, size_t errlen)
{
    unsigned w = (unsigned)st->MPI_SOURCE - 1;
    if (st->MPI_SOURCE < 1 || w >= ps->n) {
        snprintf(err, errlen, "a message from rank %d, which is no worker", st->MPI_SOURCE);
        return -1;
    }
    if (recv_bytes(ps, st, err, errlen) < 0)
        return -1;
    struct peer *p = &ps->p[w];
    const uint8_t *d = ps->in.data;
    size_t len = ps->in.len;
    switch (st->MPI_TAG) {
    case CMSG_ACK: {
        struct cmsg_ack a;
        if (len != sizeof a)
            break;
        memcpy(&a, d, sizeof a);
        outbox_ack(&p->ob, a.applied, a.keys);
        return 0;
    }
    case CMSG_ANSWER: {
        uint64_t id;
        if (len < 8)
            break;
        memcpy(&id, d, 8);
        /* An id that timed out meanwhile is dropped. */
        asks_answer(ps->asks, id, len > 8 ? (const char *)d + 8 : "ERR unknown key");
        return 0;
    }
    case CMSG_REPORT:
        if (len != sizeof p->rep)
            break;
        memcpy(&p->rep, d, sizeof p->rep);
        p->reported = true;
        return 0;
    case CMSG_ROWS:
        return take_rows(ps, w, err, errlen);
    }
    snprintf(err, errlen, "rank %u sent tag %d with %zu bytes, which rank 0 does not expect", w + 1,
             st->MPI_TAG, len);
    return -1;
}

int peers_ask(struct peers *ps, unsigned w, uint64_t id, const char *key, char *err, size_t errlen)
{
    for (unsigned i = 0; i < PEERS_GETS; i++) {
        struct peer_get *s = &ps->gets[i];
        if (s->req != MPI_REQUEST_NULL)
            continue;
        memset(&s->g, 0, sizeof s->g);
        s->g.id = id;
        snprintf(s->g.key, sizeof s->g.key, "%s", key);
        int rc = MPI_Isend(&s->g, (int)sizeof s->g, MPI_BYTE, (int)w + 1, CMSG_GET, ps->comm, &s->req);
        if (rc == MPI_SUCCESS)
            return 0;
        mpi_fail(rc, "MPI_Isend of a GET", err, errlen);
        errno = EIO;
        return -1;
    }
    errno = EBUSY;
    return -1;
}

int peers_poll(struct peers *ps, char *err, size_t errlen)
{
    for (unsigned w = 0; w < ps->n; w++)
        if (outbox_progress(&ps->p[w].ob, err, errlen) < 0)
            return -1;
    for (unsigned i = 0; i < PEERS_GETS; i++) {
        int done = 0, rc = MPI_SUCCESS;
        if (ps->gets[i].req != MPI_REQUEST_NULL)
            rc = MPI_Test(&ps->gets[i].req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Test of a GET", err, errlen);
    }
    int got = 0;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, ps->comm, &flag, &st);
        if (rc != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Iprobe", err, errlen);
        if (!flag)
            return got;
        got = 1;
        if (take(ps, &st, err, errlen) < 0)
            return -1;
    }
}

static int send_empty(struct peers *ps, unsigned w, int tag, MPI_Request *req, char *err, size_t errlen)
{
    int rc = MPI_Isend(NULL, 0, MPI_BYTE, (int)w + 1, tag, ps->comm, req);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, tag == CMSG_END ? "MPI_Isend of END" : "MPI_Isend of BYE",
                                            err, errlen);
}

static int test(MPI_Request *req, char *err, size_t errlen)
{
    int done = 0;
    if (*req == MPI_REQUEST_NULL)
        return 1;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? done : mpi_fail(rc, "MPI_Test of END/BYE", err, errlen);
}

int peers_end(struct peers *ps, bool ending, char *err, size_t errlen)
{
    int all = 1;
    for (unsigned w = 0; w < ps->n; w++) {
        struct peer *p = &ps->p[w];
        /* END goes behind the last batch: sends to one rank are matched in order. */
        if (ending && !p->end_sent && p->ob.cur_msgs == 0) {
            if (send_empty(ps, w, CMSG_END, &p->end_req, err, errlen) < 0)
                return -1;
            p->end_sent = true;
        }
        if (p->rows_in && !p->bye_sent && asks_pending(ps->asks, (int)w) == 0) {
            if (send_empty(ps, w, CMSG_BYE, &p->bye_req, err, errlen) < 0)
                return -1;
            p->bye_sent = true;
        }
        int e = test(&p->end_req, err, errlen), b = test(&p->bye_req, err, errlen);
        if (e < 0 || b < 0)
            return -1;
        all = all && p->bye_sent && e && b && !outbox_busy(&p->ob);
    }
    for (unsigned i = 0; i < PEERS_GETS; i++)
        all = all && ps->gets[i].req == MPI_REQUEST_NULL;
    return all;
}

uint64_t peers_applied(const struct peers *ps)
{
    uint64_t a = 0;
    for (unsigned w = 0; w < ps->n; w++)
        a += ps->p[w].ob.applied;
    return a;
}

uint64_t peers_in_flight(const struct peers *ps)
{
    uint64_t a = 0;
    for (unsigned w = 0; w < ps->n; w++)
        a += outbox_in_flight(&ps->p[w].ob);
    return a;
}

bool peers_busy(const struct peers *ps)
{
    for (unsigned i = 0; i < PEERS_GETS; i++)
        if (ps->gets[i].req != MPI_REQUEST_NULL)
            return true;
    for (unsigned w = 0; w < ps->n; w++)
        if (outbox_busy(&ps->p[w].ob))
            return true;
    return false;
}

void peers_free(struct peers *ps)
{
    for (unsigned w = 0; ps->p && w < ps->n; w++)
        outbox_free(&ps->p[w].ob);
    free(ps->p);
    ps->p = NULL;
    buf_free(&ps->in);
}
