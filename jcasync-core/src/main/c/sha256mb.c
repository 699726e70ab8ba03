/*
 * Multi-buffer SHA-256 (FIPS 180-4) with the SHA extensions (SHA-NI) for jcasync's --digest=sha256.
 *
 * OpenSSL already uses SHA-NI for one message, and as fast as a single stream can go: each sha256rnds2 (two rounds)
 * waits for the one before. Four messages at once keep the SHA unit busy with four independent chains (measured on
 * Zen 3: one stream 1.6 GB/s, four 2.5 GB/s), so batches of chunks go here; mb.c keeps the lanes fed. Each lane's
 * state is kept in the order the instructions use: ABEF and CDGH, each as four 32-bit words from the low end
 * (F, E, B, A and H, G, D, C).
 */
#include "jcnative.h"
#include "mb.h"

#if JC_X86

#define LANES 4

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* The initial hash value H0..H7 as (F, E, B, A, H, G, D, C). */
static const uint32_t IV_ABEF[8] = {
    0x9b05688c, 0x510e527f, 0xbb67ae85, 0x6a09e667, 0x5be0cd19, 0x1f83d9ab, 0xa54ff53a, 0x3c6ef372,
};

/* Where H0..H7 are in a lane's state. */
static const int H_AT[8] = {3, 2, 7, 6, 1, 0, 5, 4};

/* The state of all lanes: st[j] is lane j's (F, E, B, A, H, G, D, C). */
typedef uint32_t state_t[MB_MAX_LANES][8];

static void start(void *state, int j) {
    uint32_t (*st)[8] = state;
    for (int k = 0; k < 8; k++) {
        st[j][k] = IV_ABEF[k];
    }
}

static void finish(const void *state, int j, uint8_t *out) {
    const uint32_t (*st)[8] = state;
    for (int k = 0; k < 8; k++) {
        mb_store_be32(out + 4 * k, st[j][H_AT[k]]);
    }
}

/*
 * One block for each of the four lanes, the lanes' instructions interleaved. Per group of four rounds i: the message
 * words W[4i..4i+3] (for i >= 4 from sha256msg1, the word seven back and sha256msg2), plus K, feed two sha256rnds2.
 */
SHANI static void compress4(void *state, const uint8_t *const p[MB_MAX_LANES]) {
    uint32_t (*st)[8] = state;
    const __m128i bswap = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    __m128i abef[LANES], cdgh[LANES], abef0[LANES], cdgh0[LANES], m[LANES][4];
    for (int j = 0; j < LANES; j++) {
        abef[j] = abef0[j] = _mm_loadu_si128((const __m128i *) st[j]);
        cdgh[j] = cdgh0[j] = _mm_loadu_si128((const __m128i *) (st[j] + 4));
        for (int q = 0; q < 4; q++) {
            m[j][q] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (p[j] + 16 * q)), bswap);
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        const __m128i k = _mm_load_si128((const __m128i *) (K + 4 * i));
        for (int j = 0; j < LANES; j++) {
            if (i >= 4) {
                /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
                __m128i w = _mm_sha256msg1_epu32(m[j][i & 3], m[j][(i + 1) & 3]);
                w = _mm_add_epi32(w, _mm_alignr_epi8(m[j][(i + 3) & 3], m[j][(i + 2) & 3], 4));
                m[j][i & 3] = _mm_sha256msg2_epu32(w, m[j][(i + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(m[j][i & 3], k);
            cdgh[j] = _mm_sha256rnds2_epu32(cdgh[j], abef[j], wk);
            abef[j] = _mm_sha256rnds2_epu32(abef[j], cdgh[j], _mm_shuffle_epi32(wk, 0x0E));
        }
    }
    for (int j = 0; j < LANES; j++) {
        _mm_storeu_si128((__m128i *) st[j], _mm_add_epi32(abef[j], abef0[j]));
        _mm_storeu_si128((__m128i *) (st[j] + 4), _mm_add_epi32(cdgh[j], cdgh0[j]));
    }
}

#endif /* JC_X86 */

/**
 * SHA-256 of n messages: message i is buf[offs[i], offs[i] + lens[i]); its 32-byte digest goes to out + 32 * i.
 * path JC_PATH_SHANI runs four lanes with the SHA extensions. Returns 1, or 0 (and does nothing) for another path.
 * The caller checks the ranges and that this CPU runs the path (jc_cpu_features).
 */
JC_EXPORT int32_t jc_sha256_many(const uint8_t *buf, int32_t n, const int64_t *offs, const int64_t *lens,
                                 uint8_t *out, int32_t path) {
#if JC_X86
    static const mb_hash_t shani = {LANES, 64, 8, start, compress4, finish};
    state_t st;
    if (path == JC_PATH_SHANI) {
        mb_digest_many(&shani, st, buf, n, offs, lens, out);
        return 1;
    }
#else
    (void) buf, (void) n, (void) offs, (void) lens, (void) out, (void) path;
#endif
    return 0;
}
