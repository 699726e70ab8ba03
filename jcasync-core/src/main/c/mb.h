/*
 * The lane bookkeeping of the multi-buffer digests (mb.c), shared by SHA-512/256 (sha512mb.c) and SHA-256
 * (sha256mb.c): a digest of many messages at once, one message per lane of a compression function that advances
 * every lane by one block per call.
 */
#ifndef JC_MB_H
#define JC_MB_H

#include <stddef.h>
#include <stdint.h>

#define MB_MAX_LANES 8
#define MB_MAX_BLOCK 128
#define MB_DIGEST 32

/* A compression function of some width and what the lanes need to know about its hash. */
typedef struct {
    int lanes;          /* messages in flight, at most MB_MAX_LANES */
    int block;          /* bytes per block: 64 or 128 */
    int length_bytes;   /* bytes of the big-endian bit count that ends the padding: 8 or 16 */
    /* Puts the initial hash value into lane j of state. */
    void (*start)(void *state, int j);
    /* Compresses block p[j] into lane j, for every lane. */
    void (*compress)(void *state, const uint8_t *const p[MB_MAX_LANES]);
    /* Writes the 32-byte digest of lane j. */
    void (*finish)(const void *state, int j, uint8_t *out);
} mb_hash_t;

/*
 * The digests of n messages: message i is buf[offs[i], offs[i] + lens[i]), its digest goes to out + 32 * i. state is
 * the compression function's state for all lanes (its layout is the function's business).
 */
void mb_digest_many(const mb_hash_t *hash, void *state, const uint8_t *buf, int32_t n, const int64_t *offs,
                    const int64_t *lens, uint8_t *out);

static inline void mb_store_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t) v;
        v >>= 8;
    }
}

static inline void mb_store_be32(uint8_t *p, uint32_t v) {
    for (int i = 3; i >= 0; i--) {
        p[i] = (uint8_t) v;
        v >>= 8;
    }
}

#endif
