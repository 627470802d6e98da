/* le.h: fixed-width little-endian integers in byte buffers, for the wire
 * formats (frame headers, the raw codec, the experiments' raw records).
 * Byte by byte with shifts, so the bytes are the same on any host and p needs
 * no alignment: a struct written with memcpy would carry the host's byte order
 * and padding onto the wire. */
#ifndef KIT_LE_H
#define KIT_LE_H

#include <stdint.h>

/* Store v at p[0..3], least significant byte first. */
static inline void le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The value stored at p[0..3] by le_put32. */
static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Store v at p[0..7], least significant byte first. */
static inline void le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The value stored at p[0..7] by le_put64. */
static inline uint64_t le_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
