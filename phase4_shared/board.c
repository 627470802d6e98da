/* board.c: the segment's layout (board.h). */
#include "board.h"

#include <string.h>

#include "segment.h"

int board_map(struct board *b, unsigned workers, uint64_t cap, uint64_t nrows, bool pad,
              char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->workers = workers;
    b->cap = cap;
    b->nrows = nrows;
    b->stride = pad ? SEG_ALIGN : sizeof(_Atomic uint64_t);
    size_t ring = seg_round(recring_size(cap)), lane = seg_round(sizeof(struct lane));
    size_t tails = seg_round(b->stride * workers);
    b->size = workers * (ring + lane) + tails + nrows * sizeof(struct row);
    if (!(b->base = seg_map(b->size, "phase4", err, errlen)))
        return -1;
    unsigned char *p = b->base;
    for (unsigned i = 0; i < workers; i++, p += ring) {
        b->ring[i] = (struct recring *)p;
        recring_init(b->ring[i], cap);
    }
    for (unsigned i = 0; i < workers; i++, p += lane)
        b->lane[i] = (struct lane *)p;
    b->tails = p;
    b->rows = (struct row *)(p + tails);
    return 0;
}

_Atomic uint64_t *board_tail(const struct board *b, unsigned i)
{
    return (_Atomic uint64_t *)(b->tails + (size_t)i * b->stride);
}

void board_unmap(struct board *b)
{
    seg_unmap(b->base, b->size);
    b->base = NULL;
}
