/*
 * Multi-buffer SHA-512/256 (FIPS 180-4, sections 4.1.3, 4.2.3, 5.3.6 and 6.4) for jcasync.
 *
 * SHA-512 is a chain of 80 dependent rounds per 128-byte block, so one message cannot use wide vectors well.
 * Eight independent messages can: each 64-bit lane of an AVX-512 register carries one message's working
 * variable, so one vector instruction advances eight messages by the same step. Rotations are single
 * instructions (vprorq) and Ch, Maj and the three-way XORs of the sigma functions are single vpternlogq.
 *
 * Messages differ in length. Each lane is a small state machine: it feeds the message's full blocks
 * straight from the caller's buffer, then one or two padding blocks built in a per-lane scratch area, then
 * emits the digest and takes the next message. A lane that took a new message starts from the IV through a
 * masked move, so the eight lanes never wait for each other. Messages are handed out longest first, which
 * keeps lanes from running dry long before the end of a batch.
 *
 * Only the functions marked AVX512 use AVX-512 instructions; jc_sha512mb_supported() and the scalar
 * fallback run on any x86-64 (and the file compiles to the scalar code alone elsewhere).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JC_HAVE_AVX512 1
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512bw")))
#else
#define JC_HAVE_AVX512 0
#endif

#define JC_EXPORT __attribute__((visibility("default")))

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

#define BLOCK 128
#define DIGEST 32

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static inline void store_be64(uint8_t *p, uint64_t v) {
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}

/*
 * Writes the final block(s) of a message whose last rem (< 128) bytes start at tail: the bytes, 0x80, zeros
 * and the message length in bits as a 128-bit big-endian number. Returns the number of blocks (1 or 2):
 * two when the 0x80 byte and the 16-byte length do not both fit after the bytes.
 */
static int build_padding(uint8_t *pad, const uint8_t *tail, size_t rem, uint64_t len) {
    int blocks = rem + 1 + 16 <= BLOCK ? 1 : 2;
    size_t total = (size_t) blocks * BLOCK;
    memcpy(pad, tail, rem);
    pad[rem] = 0x80;
    memset(pad + rem + 1, 0, total - rem - 1 - 16);
    store_be64(pad + total - 16, len >> 61);
    store_be64(pad + total - 8, len << 3);
    return blocks;
}

/* ---------------------------------------------------------------- scalar SHA-512, one message at a time */

static inline uint64_t rotr(uint64_t x, int n) {
    return (x >> n) | (x << (64 - n));
}

static void compress1(uint64_t s[8], const uint8_t *block) {
    uint64_t w[80];
    for (int t = 0; t < 16; t++) {
        w[t] = load_be64(block + 8 * t);
    }
    for (int t = 16; t < 80; t++) {
        uint64_t s0 = rotr(w[t - 15], 1) ^ rotr(w[t - 15], 8) ^ (w[t - 15] >> 7);
        uint64_t s1 = rotr(w[t - 2], 19) ^ rotr(w[t - 2], 61) ^ (w[t - 2] >> 6);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint64_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int t = 0; t < 80; t++) {
        uint64_t t1 = h + (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
        uint64_t t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

static void sha512_256_one(const uint8_t *msg, uint64_t len, uint8_t *out) {
    uint64_t s[8];
    uint8_t pad[2 * BLOCK];
    memcpy(s, IV, sizeof s);
    uint64_t full = len / BLOCK * BLOCK;
    for (uint64_t p = 0; p < full; p += BLOCK) {
        compress1(s, msg + p);
    }
    int blocks = build_padding(pad, msg + full, (size_t) (len - full), len);
    for (int b = 0; b < blocks; b++) {
        compress1(s, pad + b * BLOCK);
    }
    for (int i = 0; i < DIGEST / 8; i++) {
        store_be64(out + 8 * i, s[i]);
    }
}

/* ---------------------------------------------------------------- AVX-512, eight messages at a time */

#if JC_HAVE_AVX512

#define ROR(x, n) _mm512_ror_epi64((x), (n))
/* vpternlogq truth tables, operand bits indexed as (a << 2) | (b << 1) | c. */
#define XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi64((e), (f), (g), 0xca)  /* e ? f : g */
#define MAJ(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0xe8) /* at least two of three */
#define BSIG0(x) XOR3(ROR(x, 28), ROR(x, 34), ROR(x, 39))
#define BSIG1(x) XOR3(ROR(x, 14), ROR(x, 18), ROR(x, 41))
#define SSIG0(x) XOR3(ROR(x, 1), ROR(x, 8), _mm512_srli_epi64((x), 7))
#define SSIG1(x) XOR3(ROR(x, 19), ROR(x, 61), _mm512_srli_epi64((x), 6))
#define ADD(x, y) _mm512_add_epi64((x), (y))

/* Extends the schedule in place: w[t mod 16] goes from W[t-16] to W[t]. */
#define SCHEDULE(t) \
    (w[(t) & 15] = ADD(ADD(w[(t) & 15], SSIG0(w[((t) + 1) & 15])), ADD(w[((t) + 9) & 15], SSIG1(w[((t) + 14) & 15]))))

/*
 * One round. Instead of shifting eight variables, callers rotate the names: the new a lands in h's register
 * and the new e in d's, and the next round is called with the names shifted by one.
 */
#define ROUND(a, b, c, d, e, f, g, h, t)                                                                        \
    do {                                                                                                        \
        __m512i kw = ADD(w[(t) & 15], _mm512_set1_epi64((long long) K[t]));                                     \
        __m512i t1 = ADD(ADD(h, BSIG1(e)), ADD(CH(e, f, g), kw));                                               \
        __m512i t2 = ADD(BSIG0(a), MAJ(a, b, c));                                                               \
        d = ADD(d, t1);                                                                                         \
        h = ADD(t1, t2);                                                                                        \
    } while (0)

#define ROUNDS8(t)                         \
    ROUND(a, b, c, d, e, f, g, h, (t) + 0); \
    ROUND(h, a, b, c, d, e, f, g, (t) + 1); \
    ROUND(g, h, a, b, c, d, e, f, (t) + 2); \
    ROUND(f, g, h, a, b, c, d, e, (t) + 3); \
    ROUND(e, f, g, h, a, b, c, d, (t) + 4); \
    ROUND(d, e, f, g, h, a, b, c, (t) + 5); \
    ROUND(c, d, e, f, g, h, a, b, (t) + 6); \
    ROUND(b, c, d, e, f, g, h, a, (t) + 7)

#define SCHED_ROUNDS8(t)                                         \
    SCHEDULE((t) + 0); SCHEDULE((t) + 1); SCHEDULE((t) + 2); SCHEDULE((t) + 3); \
    SCHEDULE((t) + 4); SCHEDULE((t) + 5); SCHEDULE((t) + 6); SCHEDULE((t) + 7); \
    ROUNDS8(t)

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

/* The 16 message words of eight blocks (one per lane) as lane-major vectors. */
AVX512 static inline void load_blocks(const uint8_t *const p[8], __m512i w[16]) {
    __m512i lo[8], hi[8];
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
}

AVX512 static inline void compress8(__m512i st[8], const uint8_t *const p[8]) {
    __m512i w[16];
    load_blocks(p, w);
    __m512i a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    ROUNDS8(0);
    ROUNDS8(8);
#pragma GCC unroll 8
    for (int t = 16; t < 80; t += 8) {
        SCHED_ROUNDS8(t);
    }
    st[0] = ADD(st[0], a); st[1] = ADD(st[1], b); st[2] = ADD(st[2], c); st[3] = ADD(st[3], d);
    st[4] = ADD(st[4], e); st[5] = ADD(st[5], f); st[6] = ADD(st[6], g); st[7] = ADD(st[7], h);
}

/* One lane's progress through its current message. */
typedef struct {
    int32_t msg;        /* index of the message, -1 when the lane has run dry */
    int32_t padLeft;    /* padding blocks still to feed; -1 before the padding is built */
    int32_t padNext;    /* index of the next padding block in pad */
    const uint8_t *data;
    uint64_t len;
    uint64_t pos;       /* bytes of full blocks fed so far */
    uint8_t pad[2 * BLOCK];
} lane_t;

typedef struct {
    uint64_t len;
    int32_t idx;
} job_t;

static int longest_first(const void *x, const void *y) {
    const job_t *a = x, *b = y;
    if (a->len != b->len) {
        return a->len < b->len ? 1 : -1;
    }
    return a->idx - b->idx;
}

static void lane_start(lane_t *l, int32_t msg, const uint8_t *buf, const int64_t *offs, const int64_t *lens) {
    l->msg = msg;
    l->padLeft = -1;
    l->padNext = 0;
    if (msg >= 0) {
        l->data = buf + offs[msg];
        l->len = (uint64_t) lens[msg];
        l->pos = 0;
    }
}

/* The block the lane feeds next; sets *last when it is the message's final block. */
static const uint8_t *lane_next_block(lane_t *l, int *last) {
    *last = 0;
    if (l->padLeft < 0 && l->pos + BLOCK <= l->len) {
        const uint8_t *p = l->data + l->pos;
        l->pos += BLOCK;
        return p;
    }
    if (l->padLeft < 0) {
        l->padLeft = build_padding(l->pad, l->data + l->pos, (size_t) (l->len - l->pos), l->len);
        l->padNext = 0;
    }
    const uint8_t *p = l->pad + BLOCK * l->padNext++;
    *last = --l->padLeft == 0;
    return p;
}

AVX512 static void sha512_256_many_avx512(const uint8_t *buf, int32_t n, const int64_t *offs,
                                          const int64_t *lens, uint8_t *out) {
    /* Hand out messages longest first (greedy list scheduling) so the last lanes finish close together. */
    job_t small[256];
    job_t *jobs = n <= 256 ? small : malloc(sizeof(job_t) * (size_t) n);
    if (jobs == NULL) {
        for (int32_t i = 0; i < n; i++) {
            sha512_256_one(buf + offs[i], (uint64_t) lens[i], out + (size_t) DIGEST * i);
        }
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        jobs[i].len = (uint64_t) lens[i];
        jobs[i].idx = i;
    }
    qsort(jobs, (size_t) n, sizeof(job_t), longest_first);

    static const uint8_t idle_block[BLOCK] __attribute__((aligned(64)));
    lane_t lanes[8];
    __m512i st[8];
    int32_t next = 0;
    int active = 0;
    for (int j = 0; j < 8; j++) {
        lane_start(&lanes[j], next < n ? jobs[next++].idx : -1, buf, offs, lens);
        active += lanes[j].msg >= 0;
    }
    for (int k = 0; k < 8; k++) {
        st[k] = _mm512_set1_epi64((long long) IV[k]);
    }
    __mmask8 fresh = 0;
    while (active > 0) {
        const uint8_t *p[8];
        __mmask8 done = 0;
        for (int j = 0; j < 8; j++) {
            int last = 0;
            p[j] = lanes[j].msg >= 0 ? lane_next_block(&lanes[j], &last) : idle_block;
            done |= (__mmask8) (last << j);
        }
        if (fresh) {
            for (int k = 0; k < 8; k++) {
                st[k] = _mm512_mask_mov_epi64(st[k], fresh, _mm512_set1_epi64((long long) IV[k]));
            }
            fresh = 0;
        }
        compress8(st, p);
        if (done) {
            uint64_t words[DIGEST / 8][8] __attribute__((aligned(64)));
            for (int k = 0; k < DIGEST / 8; k++) {
                _mm512_store_si512((void *) words[k], st[k]);
            }
            for (int j = 0; j < 8; j++) {
                if (done & (1u << j)) {
                    uint8_t *o = out + (size_t) DIGEST * lanes[j].msg;
                    for (int k = 0; k < DIGEST / 8; k++) {
                        store_be64(o + 8 * k, words[k][j]);
                    }
                    lane_start(&lanes[j], next < n ? jobs[next++].idx : -1, buf, offs, lens);
                    if (lanes[j].msg >= 0) {
                        fresh |= (__mmask8) (1u << j);
                    } else {
                        active--;
                    }
                }
            }
        }
    }
    if (jobs != small) {
        free(jobs);
    }
}

#endif /* JC_HAVE_AVX512 */

/* ---------------------------------------------------------------- exported */

/** 1 when this CPU (and OS) runs the AVX-512 code, else 0. Safe to call on any CPU. */
JC_EXPORT int jc_sha512mb_supported(void) {
#if JC_HAVE_AVX512
    __builtin_cpu_init();
    /* libgcc's and compiler-rt's checks include the OS enabling the ZMM state (XCR0). */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}

/**
 * SHA-512/256 of n messages: message i is buf[offs[i], offs[i] + lens[i]); its 32-byte digest goes to
 * out + 32 * i. Uses eight AVX-512 lanes when the CPU has them, else hashes one message after the other.
 * The caller checks the ranges.
 */
JC_EXPORT void jc_sha512_256_many(const uint8_t *buf, int32_t n, const int64_t *offs, const int64_t *lens,
                                  uint8_t *out) {
#if JC_HAVE_AVX512
    if (jc_sha512mb_supported()) {
        sha512_256_many_avx512(buf, n, offs, lens, out);
        return;
    }
#endif
    for (int32_t i = 0; i < n; i++) {
        sha512_256_one(buf + offs[i], (uint64_t) lens[i], out + (size_t) DIGEST * i);
    }
}
