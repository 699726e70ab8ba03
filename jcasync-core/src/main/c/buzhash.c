/*
 * The inner loop of jcasync's content-defined chunker (org.jcasync.chunk.Chunker): casync's buzhash over a 48-byte
 * window, with its exact cut test. Java keeps the state (chunk size, window at call boundaries, hash) and calls this
 * only where the whole window lies inside the caller's array; the results are the same as the Java loop's, byte for
 * byte. Plain C: it runs wherever the library builds.
 */
#include <stdint.h>

#define JC_EXPORT __attribute__((visibility("default")))
#define WINDOW 48

static uint32_t table_in[256];
static uint32_t table_out[256];

static inline uint32_t rotl32(uint32_t x, unsigned r) {
    return (x << r) | (x >> ((32 - r) & 31));
}

/* Takes casync's buzhash table (256 entries) from Java, so the constants live in one place. */
JC_EXPORT void jc_buzhash_init(const int32_t *table) {
    for (int i = 0; i < 256; i++) {
        table_in[i] = (uint32_t) table[i];
        /* The byte leaving a 48-byte window was rotated 48 times: 48 mod 32 = 16. */
        table_out[i] = rotl32((uint32_t) table[i], 48 % 32);
    }
}

/*
 * Rolls the hash over b[pos, limit) (pos >= 48: the outgoing byte is b[pos - 48]) until the first cut, where
 * (h + 1) * div_c <= div_limit in unsigned 64-bit arithmetic (h % d == d - 1). Returns the position just past the
 * cut, or limit, in bits 32..61, the hash in bits 0..31 and bit 62 set when it cut.
 */
JC_EXPORT int64_t jc_buzhash_scan(const uint8_t *b, int64_t pos, int64_t limit, int32_t hash, uint64_t div_c,
                                  uint64_t div_limit) {
    uint32_t h = (uint32_t) hash;
    while (pos < limit) {
        h = rotl32(h, 1) ^ table_out[b[pos - WINDOW]] ^ table_in[b[pos]];
        pos++;
        if (((uint64_t) h + 1) * div_c <= div_limit) {
            return (int64_t) ((1ULL << 62) | ((uint64_t) pos << 32) | h);
        }
    }
    return (int64_t) (((uint64_t) pos << 32) | h);
}
