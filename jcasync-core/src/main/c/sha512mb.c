/*
 * Multi-buffer SHA-512/256 (FIPS 180-4, sections 4.1.3, 4.2.3, 5.3.6 and 6.4) for jcasync.
 *
 * SHA-512 is a chain of 80 dependent rounds per 128-byte block, so one message cannot use wide vectors well.
 * Several independent messages can: each 64-bit lane of a vector register carries one message's working variable,
 * so one vector instruction advances all of them by the same step (mb.c keeps the lanes fed). AVX-512 takes eight
 * messages: rotations are single vprorq instructions, Ch, Maj and the three-way XORs of the sigma functions single
 * vpternlogq. AVX2 takes four, with rotations as two shifts and an OR (a byte shuffle for the rotation by 8) and the
 * boolean functions spelled out.
 */
#include "jcnative.h"
#include "mb.h"

#if JC_X86

/* Round constants: the first 64 bits of the fractional parts of the cube roots of the first 80 primes. */
static const uint64_t K[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

/* SHA-512/256's initial hash value (FIPS 180-4 section 5.3.6.2). */
static const uint64_t IV[8] = {
    0x22312194fc2bf72cULL, 0x9f555fa3c84c64c2ULL, 0x2393b86b6f53b151ULL, 0x963877195940eabdULL,
    0x96283ee2a88effe3ULL, 0xbe5e1e2553863992ULL, 0x2b0199fc2c85b8aaULL, 0x0eb72ddc81c52ca2ULL,
};

/* The state of all lanes, word-major: st[k][j] is working variable k of lane j. */
typedef uint64_t state_t[8][MB_MAX_LANES];

static void start(void *state, int j) {
    uint64_t (*st)[MB_MAX_LANES] = state;
    for (int k = 0; k < 8; k++) {
        st[k][j] = IV[k];
    }
}

static void finish(const void *state, int j, uint8_t *out) {
    const uint64_t (*st)[MB_MAX_LANES] = state;
    for (int k = 0; k < MB_DIGEST / 8; k++) {
        mb_store_be64(out + 8 * k, st[k][j]);
    }
}

/*
 * The rounds, for either width: V is the vector type, and the file defines ADD, SET1, ROR, ROR8, SHR, XOR3, CH, MAJ
 * and MAJ_INIT (what MAJ keeps from one round to the next) for it before expanding ALL_ROUNDS. Instead of shifting eight variables, a round rotates the names: the new a lands in h's
 * register and the new e in d's, and the next round is called with the names shifted by one.
 */
#define BSIG0(x) XOR3(ROR(x, 28), ROR(x, 34), ROR(x, 39))
#define BSIG1(x) XOR3(ROR(x, 14), ROR(x, 18), ROR(x, 41))
#define SSIG0(x) XOR3(ROR(x, 1), ROR8(x), SHR((x), 7))
#define SSIG1(x) XOR3(ROR(x, 19), ROR(x, 61), SHR((x), 6))

/* Extends the schedule in place: w[t mod 16] goes from W[t-16] to W[t]. */
#define SCHEDULE(t) \
    (w[(t) & 15] = ADD(ADD(w[(t) & 15], SSIG0(w[((t) + 1) & 15])), ADD(w[((t) + 9) & 15], SSIG1(w[((t) + 14) & 15]))))

#define ROUND(V, a, b, c, d, e, f, g, h, t)                                                                     \
    do {                                                                                                        \
        V kw = ADD(w[(t) & 15], SET1((long long) K[t]));                                                        \
        V t1 = ADD(ADD(h, BSIG1(e)), ADD(CH(e, f, g), kw));                                                     \
        V t2 = ADD(BSIG0(a), MAJ(a, b, c));                                                                     \
        d = ADD(d, t1);                                                                                         \
        h = ADD(t1, t2);                                                                                        \
    } while (0)

#define ROUNDS8(V, t)                         \
    ROUND(V, a, b, c, d, e, f, g, h, (t) + 0); \
    ROUND(V, h, a, b, c, d, e, f, g, (t) + 1); \
    ROUND(V, g, h, a, b, c, d, e, f, (t) + 2); \
    ROUND(V, f, g, h, a, b, c, d, e, (t) + 3); \
    ROUND(V, e, f, g, h, a, b, c, d, (t) + 4); \
    ROUND(V, d, e, f, g, h, a, b, c, (t) + 5); \
    ROUND(V, c, d, e, f, g, h, a, b, (t) + 6); \
    ROUND(V, b, c, d, e, f, g, h, a, (t) + 7)

#define SCHED_ROUNDS8(V, t)                                         \
    SCHEDULE((t) + 0); SCHEDULE((t) + 1); SCHEDULE((t) + 2); SCHEDULE((t) + 3); \
    SCHEDULE((t) + 4); SCHEDULE((t) + 5); SCHEDULE((t) + 6); SCHEDULE((t) + 7); \
    ROUNDS8(V, t)

/* The 80 rounds over the message words w[16] and the state st[8] (already loaded into vectors of type V). */
#define ALL_ROUNDS(V, st)                                                                                       \
    do {                                                                                                        \
        V a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];               \
        MAJ_INIT(b, c);                                                                                         \
        ROUNDS8(V, 0);                                                                                          \
        ROUNDS8(V, 8);                                                                                          \
        _Pragma("GCC unroll 8") for (int t = 16; t < 80; t += 8) {                                              \
            SCHED_ROUNDS8(V, t);                                                                                \
        }                                                                                                       \
        st[0] = ADD(st[0], a); st[1] = ADD(st[1], b); st[2] = ADD(st[2], c); st[3] = ADD(st[3], d);             \
        st[4] = ADD(st[4], e); st[5] = ADD(st[5], f); st[6] = ADD(st[6], g); st[7] = ADD(st[7], h);             \
    } while (0)

/* ---------------------------------------------------------------- AVX-512, eight messages at a time */

#define ADD(x, y) _mm512_add_epi64((x), (y))
#define SET1(v) _mm512_set1_epi64(v)
#define ROR(x, n) _mm512_ror_epi64((x), (n))
#define ROR8(x) ROR(x, 8)
#define SHR(x, n) _mm512_srli_epi64((x), (n))
/* vpternlogq truth tables, operand bits indexed as (a << 2) | (b << 1) | c. */
#define XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi64((e), (f), (g), 0xca)  /* e ? f : g */
#define MAJ(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0xe8) /* at least two of three */
#define MAJ_INIT(b, c)

/* Byte-reverses each 64-bit element: message words are big-endian. */
AVX512 static inline __m512i bswap64x8(__m512i x) {
    const __m512i idx = _mm512_set_epi8(
        56, 57, 58, 59, 60, 61, 62, 63, 48, 49, 50, 51, 52, 53, 54, 55,
        40, 41, 42, 43, 44, 45, 46, 47, 32, 33, 34, 35, 36, 37, 38, 39,
        24, 25, 26, 27, 28, 29, 30, 31, 16, 17, 18, 19, 20, 21, 22, 23,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    /* vpshufb indexes within each 128-bit lane, so the upper lanes' indices are taken modulo 16. */
    return _mm512_shuffle_epi8(x, idx);
}

/*
 * Transposes an 8x8 matrix of 64-bit words: on entry r[j] holds words 0..7 of lane j's block half, on exit
 * r[i] holds word i of every lane. Three stages of two-source shuffles, each pairing rows at distance 1, 2, 4.
 */
AVX512 static inline void transpose8x8(__m512i r[8]) {
    const __m512i lo1 = _mm512_set_epi64(14, 6, 12, 4, 10, 2, 8, 0);
    const __m512i hi1 = _mm512_set_epi64(15, 7, 13, 5, 11, 3, 9, 1);
    const __m512i lo2 = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i hi2 = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    const __m512i lo4 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i hi4 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    __m512i s[8], u[8];
    /* Stage 1, rows j and j+1: s[j] = (r_j[0], r_j+1[0], r_j[2], r_j+1[2], ...), s[j+1] the odd words. */
    for (int j = 0; j < 8; j += 2) {
        s[j] = _mm512_permutex2var_epi64(r[j], lo1, r[j + 1]);
        s[j + 1] = _mm512_permutex2var_epi64(r[j], hi1, r[j + 1]);
    }
    /* Stage 2, pairs j and j+2: 2-word groups, so every group of four holds one word of rows j..j+3. */
    for (int j = 0; j < 8; j += 4) {
        for (int k = 0; k < 2; k++) {
            u[j + k] = _mm512_permutex2var_epi64(s[j + k], lo2, s[j + k + 2]);
            u[j + k + 2] = _mm512_permutex2var_epi64(s[j + k], hi2, s[j + k + 2]);
        }
    }
    /* Stage 3, quads k and k+4: 4-word halves. */
    for (int k = 0; k < 4; k++) {
        r[k] = _mm512_permutex2var_epi64(u[k], lo4, u[k + 4]);
        r[k + 4] = _mm512_permutex2var_epi64(u[k], hi4, u[k + 4]);
    }
}

AVX512 static void compress8(void *state_, const uint8_t *const p[MB_MAX_LANES]) {
    uint64_t (*state)[MB_MAX_LANES] = state_;
    __m512i w[16], lo[8], hi[8], st[8];
    for (int j = 0; j < 8; j++) {
        lo[j] = bswap64x8(_mm512_loadu_si512((const void *) p[j]));
        hi[j] = bswap64x8(_mm512_loadu_si512((const void *) (p[j] + 64)));
    }
    transpose8x8(lo);
    transpose8x8(hi);
    for (int i = 0; i < 8; i++) {
        w[i] = lo[i];
        w[i + 8] = hi[i];
    }
    for (int k = 0; k < 8; k++) {
        st[k] = _mm512_load_si512((const void *) state[k]);
    }
    ALL_ROUNDS(__m512i, st);
    for (int k = 0; k < 8; k++) {
        _mm512_store_si512((void *) state[k], st[k]);
    }
}

#undef ADD
#undef SET1
#undef ROR
#undef ROR8
#undef SHR
#undef XOR3
#undef CH
#undef MAJ
#undef MAJ_INIT

/* ---------------------------------------------------------------- AVX2, four messages at a time */

#define ADD(x, y) _mm256_add_epi64((x), (y))
#define SET1(v) _mm256_set1_epi64x(v)
#define ROR(x, n) _mm256_or_si256(_mm256_srli_epi64((x), (n)), _mm256_slli_epi64((x), 64 - (n)))
/* A rotation by whole bytes is one byte shuffle. */
#define ROR8(x) _mm256_shuffle_epi8((x), _mm256_setr_epi8(1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8, \
                                                         1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8))
#define SHR(x, n) _mm256_srli_epi64((x), (n))
#define XOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256((a), (b)), (c))
#define CH(e, f, g) _mm256_xor_si256(_mm256_and_si256((e), _mm256_xor_si256((f), (g))), (g))
/*
 * Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), and b ^ c of one round is a ^ b of the round before (the names shift by
 * one), so each round computes one XOR and keeps it for the next: three operations instead of four.
 */
#define MAJ_INIT(b, c) __m256i bc_ = _mm256_xor_si256((b), (c))
#define MAJ(a, b, c)                                                                                            \
    ({                                                                                                          \
        __m256i ab_ = _mm256_xor_si256((a), (b));                                                               \
        __m256i maj_ = _mm256_xor_si256((b), _mm256_and_si256(ab_, bc_));                                       \
        bc_ = ab_;                                                                                              \
        maj_;                                                                                                   \
    })

/*
 * Loads 32 bytes of each of four blocks (p[j] + off) and transposes the 4x4 matrix of big-endian 64-bit words: on
 * return w[i] holds word off/8 + i of every lane.
 */
AVX2 static inline void load4x4(const uint8_t *const p[MB_MAX_LANES], int off, __m256i w[4]) {
    const __m256i bswap = _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
                                           7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    __m256i r[4];
    for (int j = 0; j < 4; j++) {
        r[j] = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *) (p[j] + off)), bswap);
    }
    /* r[j] = (j0, j1, j2, j3); first pair words within 128-bit halves, then swap the halves. */
    __m256i t0 = _mm256_unpacklo_epi64(r[0], r[1]);   /* 00 10 | 02 12 */
    __m256i t1 = _mm256_unpackhi_epi64(r[0], r[1]);   /* 01 11 | 03 13 */
    __m256i t2 = _mm256_unpacklo_epi64(r[2], r[3]);   /* 20 30 | 22 32 */
    __m256i t3 = _mm256_unpackhi_epi64(r[2], r[3]);   /* 21 31 | 23 33 */
    w[0] = _mm256_permute2x128_si256(t0, t2, 0x20);
    w[1] = _mm256_permute2x128_si256(t1, t3, 0x20);
    w[2] = _mm256_permute2x128_si256(t0, t2, 0x31);
    w[3] = _mm256_permute2x128_si256(t1, t3, 0x31);
}

AVX2 static void compress4(void *state_, const uint8_t *const p[MB_MAX_LANES]) {
    uint64_t (*state)[MB_MAX_LANES] = state_;
    __m256i w[16], st[8];
    for (int q = 0; q < 4; q++) {
        load4x4(p, 32 * q, w + 4 * q);
    }
    for (int k = 0; k < 8; k++) {
        st[k] = _mm256_load_si256((const __m256i *) state[k]);
    }
    ALL_ROUNDS(__m256i, st);
    for (int k = 0; k < 8; k++) {
        _mm256_store_si256((__m256i *) state[k], st[k]);
    }
}

#endif /* JC_X86 */

/* ---------------------------------------------------------------- exported */

/**
 * SHA-512/256 of n messages: message i is buf[offs[i], offs[i] + lens[i]); its 32-byte digest goes to
 * out + 32 * i. path JC_PATH_AVX512 runs eight lanes, JC_PATH_AVX2 four. Returns 1, or 0 (and does nothing) for
 * another path. The caller checks the ranges and that this CPU runs the path (jc_cpu_features).
 */
JC_EXPORT int32_t jc_sha512_256_many(const uint8_t *buf, int32_t n, const int64_t *offs, const int64_t *lens,
                                     uint8_t *out, int32_t path) {
#if JC_X86
    static const mb_hash_t avx512 = {8, 128, 16, start, compress8, finish};
    static const mb_hash_t avx2 = {4, 128, 16, start, compress4, finish};
    state_t st __attribute__((aligned(64)));
    if (path == JC_PATH_AVX512 || path == JC_PATH_AVX2) {
        mb_digest_many(path == JC_PATH_AVX512 ? &avx512 : &avx2, st, buf, n, offs, lens, out);
        return 1;
    }
#else
    (void) buf, (void) n, (void) offs, (void) lens, (void) out, (void) path;
#endif
    return 0;
}
