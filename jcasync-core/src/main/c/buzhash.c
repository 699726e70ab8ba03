/*
 * The hot loop of jcasync's buzhash chunker (org.jcasync.chunk.Chunker): rolls casync's 48-byte buzhash over a span
 * of the caller's array and stops at the first position whose hash passes the cut test h % d == d - 1.
 *
 * The roll is h' = rotl(h, 1) ^ TO[b[p - 48]] ^ T[b[p]] with TO[x] = rotl(T[x], 48 mod 32). The cut test is done
 * without a division, exactly as in Java: (h + 1) * c <= c - 1 (mod 2^64) with c = ceil(2^64 / d).
 *
 * Scalar code does one byte per step. The vector loops break the chain of dependent rolls the same way: with
 * x_j = TO[out_j] ^ T[in_j], the hash after byte j of a block is
 *     h_j = rotl(h_{-1}, j + 1) ^ XOR_{m <= j} rotl(x_m, j - m) = rotl(rotl(h_{-1}, 1) ^ XOR_{m <= j} rotr(x_m, m), j),
 * a plain prefix XOR between two rotations. The cut test is filtered with the 32-bit divisibility test of Granlund
 * and Montgomery: (h + 1) mod 2^32 is a multiple of d = d' 2^k (d' odd) exactly when
 * rotr((h + 1) * inverse(d'), k) <= (2^32 - 1) / d. It never misses a cut; its only false alarm (h = 2^32 - 1,
 * where h + 1 wraps) is removed by checking candidates with the exact 64-bit test in order.
 *
 * AVX-512 VBMI (Ice Lake and later, Zen 4), 64 bytes per step: the 2 x 64 table entries come from byte permutes
 * (vpermi2b) over the tables split into four byte planes, instead of 128 gathers, and are reassembled into 32-bit
 * entries by unpacks (the input bytes are pre-permuted so that the unpacks leave the positions in order).
 *
 * AVX2 (Haswell and later, Zen 1-3), 48 bytes per step: AVX2 has no permute over 256 entries, and its gathers are
 * slow on AMD (measured on Zen 3: a loop of gathers ran at 0.7x the scalar loop). So plain loads look the entries up,
 * one per byte, into a small ring that the vector code reads a block later; see scan_avx2.
 * All loops give the same positions and hashes.
 */
#include "jcnative.h"

/* Byte offsets into the caller's table block (built by NativeChunker): T and TO as little-endian 32-bit entries,
 * their byte planes (plane k holds byte k of every entry), then T rotated right by r for r = 0..31. */
#define TABLE_T 0
#define TABLE_TO 1024
#define PLANES_T 2048
#define PLANES_TO 3072
#define TABLE_ROT 4096

#define WINDOW 48
#define NO_CUT 0x8000000000000000ULL

static inline uint32_t rotl32(uint32_t x, unsigned k) {
    k &= 31;
    return (x << k) | (x >> ((32 - k) & 31));
}

/* The result for "no cut before limit": bit 63 set, the hash in the low 32 bits. */
static inline int64_t no_cut(uint32_t h) {
    return (int64_t) (NO_CUT | h);
}

static int64_t scan_scalar(const uint8_t *b, int64_t p, int64_t limit, uint32_t h, uint64_t c, uint64_t lim,
                           const uint8_t *tables) {
    const uint32_t *t = (const uint32_t *) (tables + TABLE_T);
    const uint32_t *to = (const uint32_t *) (tables + TABLE_TO);
    for (; p < limit; p++) {
        h = rotl32(h, 1) ^ to[b[p - WINDOW]] ^ t[b[p]];
        if (((uint64_t) h + 1) * c <= lim) {
            return p + 1;
        }
    }
    return no_cut(h);
}

#if JC_X86

/* The constants of the 32-bit divisibility filter for d. */
static void div_filter(uint32_t d, uint32_t *inv, unsigned *k, uint32_t *thr) {
    *k = (unsigned) __builtin_ctz(d);
    uint32_t odd = d >> *k;
    uint32_t x = odd; /* Newton's iteration: 3, 6, 12, 24, 48 correct low bits */
    for (int i = 0; i < 4; i++) {
        x *= 2 - odd * x;
    }
    *inv = x;
    *thr = 0xFFFFFFFFu / d;
}

/* 64 table lookups: entries idx[i] of one byte plane (256 bytes in four registers' worth); top = bit 7 of idx. */
VBMI static inline __m512i plane_lookup(__m512i idx, __mmask64 top, const uint8_t *plane) {
    __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(plane), idx, _mm512_loadu_si512(plane + 64));
    __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(plane + 128), idx, _mm512_loadu_si512(plane + 192));
    return _mm512_mask_blend_epi8(top, lo, hi);
}

VBMI static int64_t scan_vbmi(const uint8_t *b, int64_t p, int64_t limit, uint32_t h, uint64_t c, uint64_t lim,
                              uint32_t d, const uint8_t *tables) {
    uint32_t inv, thr;
    unsigned k;
    div_filter(d, &inv, &k, &thr);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i last = _mm512_set1_epi32(15);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i vinv = _mm512_set1_epi32((int32_t) inv);
    const __m512i vk = _mm512_set1_epi32((int32_t) k);
    const __m512i vthr = _mm512_set1_epi32((int32_t) thr);
    /* Byte q of a block goes to slot 16 (q/4 mod 4) + 4 (q/16) + q mod 4, so that after the two rounds of unpacks
     * (which work inside 128-bit lanes) vector r holds the entries of bytes 16r .. 16r + 15 in order. */
    uint8_t order[64];
    for (int q = 0; q < 64; q++) {
        order[q] = (uint8_t) (16 * ((q >> 2) & 3) + 4 * (q >> 4) + (q & 3));
    }
    const __m512i perm = _mm512_loadu_si512(order);
    __m512i carry = _mm512_set1_epi32((int32_t) rotl32(h, 1)); /* rotl(h_{-1}, 1) in every lane */
    for (; p + 64 <= limit; p += 64) {
        __m512i in = _mm512_permutexvar_epi8(perm, _mm512_loadu_si512(b + p));
        __m512i out = _mm512_permutexvar_epi8(perm, _mm512_loadu_si512(b + p - WINDOW));
        __mmask64 in_top = _mm512_movepi8_mask(in);
        __mmask64 out_top = _mm512_movepi8_mask(out);
        __m512i x[4];
        for (int plane = 0; plane < 4; plane++) {
            x[plane] = _mm512_xor_si512(plane_lookup(in, in_top, tables + PLANES_T + 256 * plane),
                                        plane_lookup(out, out_top, tables + PLANES_TO + 256 * plane));
        }
        __m512i lo01 = _mm512_unpacklo_epi8(x[0], x[1]);
        __m512i hi01 = _mm512_unpackhi_epi8(x[0], x[1]);
        __m512i lo23 = _mm512_unpacklo_epi8(x[2], x[3]);
        __m512i hi23 = _mm512_unpackhi_epi8(x[2], x[3]);
        __m512i xs[4] = {_mm512_unpacklo_epi16(lo01, lo23), _mm512_unpackhi_epi16(lo01, lo23),
                         _mm512_unpacklo_epi16(hi01, hi23), _mm512_unpackhi_epi16(hi01, hi23)};
        __m512i hs[4];
        __mmask16 cand[4];
        for (int v = 0; v < 4; v++) {
            __m512i w = _mm512_rorv_epi32(xs[v], lane);
            w = _mm512_xor_si512(w, _mm512_alignr_epi32(w, zero, 15));
            w = _mm512_xor_si512(w, _mm512_alignr_epi32(w, zero, 14));
            w = _mm512_xor_si512(w, _mm512_alignr_epi32(w, zero, 12));
            w = _mm512_xor_si512(w, _mm512_alignr_epi32(w, zero, 8));
            w = _mm512_xor_si512(w, carry);
            hs[v] = _mm512_rolv_epi32(w, lane);
            /* rotl(h_15, 1) = rotl(w_15, 16) */
            carry = _mm512_rol_epi32(_mm512_permutexvar_epi32(last, w), 16);
            __m512i test = _mm512_rorv_epi32(_mm512_mullo_epi32(_mm512_add_epi32(hs[v], one), vinv), vk);
            cand[v] = _mm512_cmple_epu32_mask(test, vthr);
        }
        if (__builtin_expect((cand[0] | cand[1] | cand[2] | cand[3]) != 0, 0)) {
            for (int v = 0; v < 4; v++) {
                uint32_t hv[16];
                _mm512_storeu_si512(hv, hs[v]);
                for (__mmask16 m = cand[v]; m != 0; m &= (__mmask16) (m - 1)) {
                    int j = __builtin_ctz(m);
                    if (((uint64_t) hv[j] + 1) * c <= lim) {
                        return p + 16 * v + j + 1;
                    }
                }
            }
        }
    }
    h = rotl32((uint32_t) _mm_cvtsi128_si32(_mm512_castsi512_si128(carry)), 31);
    return scan_scalar(b, p, limit, h, c, lim, tables);
}

/*
 * The AVX2 loop takes blocks of 48 positions, which the vector code holds in column order: lane l of vector j is
 * position 6l + j of the block. Then position p - 48 (the outgoing byte's) sits in the same lane and vector of the
 * block before, and the prefix XOR runs down the six vectors of a lane (five XORs) before one prefix across the eight
 * lanes. It uses the rolling form of the roll: with V_q = rotr(T[b[q]], q - base) for a fixed base,
 *     G_p = G_{p-1} ^ V_p ^ V_{p-48},   h_p = rotl(G_p, p - base),   G_{base-1} = rotl(h_{base-1}, 1),
 * since rotl(V_{p-48}, p - base) = rotl(T[b[p-48]], 48) = TO[b[p-48]]. Each byte is looked up once (V_p serves as the
 * incoming byte of p and as the outgoing one of p + 48), by scalar loads from T rotated by (q - base) mod 32, which
 * the table block holds for all 32 rotations; the loads of a block run a block ahead of the vector code that reads
 * them, so that its vector loads do not wait for the scalar stores. A ring of four blocks holds the block being
 * filled, the one being hashed and the one before it.
 */
#define COLS 6
#define AVX2_BLOCK (8 * COLS)

/* V of block position i (= 6l + j) into slot 8j + l; par is the block's parity (rotation 16 for odd blocks). */
#define FILL1(dst, src, rot, par, i) (dst)[((i) % COLS) * 8 + (i) / COLS] = (rot)[(16 * (par) + (i)) & 31][(src)[i]]
#define FILL6(dst, src, rot, par, i)                                                                            \
    FILL1(dst, src, rot, par, (i)); FILL1(dst, src, rot, par, (i) + 1); FILL1(dst, src, rot, par, (i) + 2);    \
    FILL1(dst, src, rot, par, (i) + 3); FILL1(dst, src, rot, par, (i) + 4); FILL1(dst, src, rot, par, (i) + 5)
#define FILL_BLOCK(dst, src, rot, par)                                                                          \
    do {                                                                                                        \
        FILL6(dst, src, rot, par, 0); FILL6(dst, src, rot, par, 6); FILL6(dst, src, rot, par, 12);              \
        FILL6(dst, src, rot, par, 18); FILL6(dst, src, rot, par, 24); FILL6(dst, src, rot, par, 30);            \
        FILL6(dst, src, rot, par, 36); FILL6(dst, src, rot, par, 42);                                           \
    } while (0)

/* The rotation of position 6l + j of a block of parity par, for every lane: shift counts for rotl and its rest. */
static const uint32_t ROTL_COUNT[2][COLS][8] __attribute__((aligned(32))) = {
    {{0, 6, 12, 18, 24, 30, 4, 10}, {1, 7, 13, 19, 25, 31, 5, 11}, {2, 8, 14, 20, 26, 0, 6, 12},
     {3, 9, 15, 21, 27, 1, 7, 13}, {4, 10, 16, 22, 28, 2, 8, 14}, {5, 11, 17, 23, 29, 3, 9, 15}},
    {{16, 22, 28, 2, 8, 14, 20, 26}, {17, 23, 29, 3, 9, 15, 21, 27}, {18, 24, 30, 4, 10, 16, 22, 28},
     {19, 25, 31, 5, 11, 17, 23, 29}, {20, 26, 0, 6, 12, 18, 24, 30}, {21, 27, 1, 7, 13, 19, 25, 31}},
};

typedef struct {
    __m256i inv, thr;
    __m128i k, kc;   /* shift counts of the rotation by k: k and 32 - k */
} avx2_filter_t;

/* Inclusive prefix XOR across the eight lanes. */
AVX2 static inline __m256i prefix_xor8(__m256i w) {
    w = _mm256_xor_si256(w, _mm256_slli_si256(w, 4));   /* within 128-bit halves */
    w = _mm256_xor_si256(w, _mm256_slli_si256(w, 8));
    __m256i t = _mm256_shuffle_epi32(w, 0xFF);          /* the low half's total ... */
    return _mm256_xor_si256(w, _mm256_permute2x128_si256(t, t, 0x08));   /* ... into the high half */
}

/*
 * Hashes the block at position blk from its V values (cur) and those of the block before (prev), with *carry the
 * broadcast G of the position before the block; returns the cut position, or -1 and the new carry. odd_d says
 * d is odd (k = 0, no rotation in the filter): the common case (casync's discriminators for powers of two are
 * odd), compiled separately.
 */
__attribute__((always_inline)) AVX2 static inline int64_t avx2_block(const uint32_t *cur, const uint32_t *prev,
        int par, int64_t blk, __m256i *carry, const avx2_filter_t *f, int odd_d, uint64_t c, uint64_t lim) {
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i thirtytwo = _mm256_set1_epi32(32);
    __m256i col[COLS];
    __m256i acc = _mm256_setzero_si256();
    for (int j = 0; j < COLS; j++) {
        acc = _mm256_xor_si256(acc, _mm256_xor_si256(_mm256_load_si256((const __m256i *) (cur + 8 * j)),
                                                     _mm256_load_si256((const __m256i *) (prev + 8 * j))));
        col[j] = acc;   /* lane l: XOR of V_q ^ V_{q-48} over positions 6l .. 6l + j */
    }
    /* Lane l's start: G before the block, XOR the totals of lanes 0 .. l-1. */
    __m256i start = _mm256_xor_si256(_mm256_xor_si256(prefix_xor8(acc), acc), *carry);
    *carry = _mm256_permutevar8x32_epi32(_mm256_xor_si256(col[COLS - 1], start), _mm256_set1_epi32(7));
    __m256i hs[COLS];
    __m256i any = _mm256_setzero_si256();
    for (int j = 0; j < COLS; j++) {
        __m256i g = _mm256_xor_si256(col[j], start);
        __m256i n = _mm256_load_si256((const __m256i *) ROTL_COUNT[par][j]);
        __m256i h = _mm256_or_si256(_mm256_sllv_epi32(g, n), _mm256_srlv_epi32(g, _mm256_sub_epi32(thirtytwo, n)));
        hs[j] = h;
        __m256i t = _mm256_mullo_epi32(_mm256_add_epi32(h, one), f->inv);
        if (!odd_d) {
            t = _mm256_or_si256(_mm256_srl_epi32(t, f->k), _mm256_sll_epi32(t, f->kc));
        }
        any = _mm256_or_si256(any, _mm256_cmpeq_epi32(_mm256_min_epu32(t, f->thr), t));
    }
    if (__builtin_expect(!_mm256_testz_si256(any, any), 0)) {
        uint32_t hv[COLS][8];
        for (int j = 0; j < COLS; j++) {
            _mm256_storeu_si256((__m256i *) hv[j], hs[j]);
        }
        for (int i = 0; i < AVX2_BLOCK; i++) {
            if (((uint64_t) hv[i % COLS][i / COLS] + 1) * c <= lim) {
                return blk + i + 1;
            }
        }
    }
    return -1;
}

__attribute__((always_inline)) AVX2 static inline int64_t scan_avx2_impl(const uint8_t *b, int64_t p,
        int64_t limit, uint32_t h, uint64_t c, uint64_t lim, uint32_t d, const uint8_t *tables, int odd_d) {
    const uint32_t (*rot)[256] = (const uint32_t (*)[256]) (tables + TABLE_ROT);
    avx2_filter_t f;
    uint32_t inv, thr;
    unsigned k;
    div_filter(d, &inv, &k, &thr);
    f.inv = _mm256_set1_epi32((int32_t) inv);
    f.thr = _mm256_set1_epi32((int32_t) thr);
    f.k = _mm_cvtsi32_si128((int) k);
    f.kc = _mm_cvtsi32_si128((int) (32 - k));
    uint32_t ring[4][AVX2_BLOCK] __attribute__((aligned(32)));
    const int64_t base = p;
    /* Block -1 (the outgoing bytes of block 0, odd) and block 0. */
    FILL_BLOCK(ring[3], b + base - AVX2_BLOCK, rot, 1);
    FILL_BLOCK(ring[0], b + base, rot, 0);
    __m256i carry = _mm256_set1_epi32((int32_t) rotl32(h, 1));
    int64_t blk = base;
    /* Two blocks per turn, so that each has a constant parity; block i is in ring[i & 3]. */
    for (unsigned i = 0; blk + AVX2_BLOCK <= limit; i += 2) {
        uint32_t *b0 = ring[i & 3], *b1 = ring[(i + 1) & 3], *b2 = ring[(i + 2) & 3], *bm = ring[(i + 3) & 3];
        if (blk + 2 * AVX2_BLOCK <= limit) {
            FILL_BLOCK(b1, b + blk + AVX2_BLOCK, rot, 1);
        }
        int64_t r = avx2_block(b0, bm, 0, blk, &carry, &f, odd_d, c, lim);
        if (r >= 0) {
            return r;
        }
        blk += AVX2_BLOCK;
        if (blk + AVX2_BLOCK > limit) {
            break;
        }
        if (blk + 2 * AVX2_BLOCK <= limit) {
            FILL_BLOCK(b2, b + blk + AVX2_BLOCK, rot, 0);
        }
        r = avx2_block(b1, b0, 1, blk, &carry, &f, odd_d, c, lim);
        if (r >= 0) {
            return r;
        }
        blk += AVX2_BLOCK;
    }
    /* The carry is G at blk - 1; the hash there is rotl(G, blk - 1 - base). */
    h = rotl32((uint32_t) _mm256_cvtsi256_si32(carry), (unsigned) (blk - 1 - base));
    return scan_scalar(b, blk, limit, h, c, lim, tables);
}

AVX2 static int64_t scan_avx2(const uint8_t *b, int64_t p, int64_t limit, uint32_t h, uint64_t c, uint64_t lim,
                              uint32_t d, const uint8_t *tables) {
    if (limit - p < 2 * AVX2_BLOCK) {
        return scan_scalar(b, p, limit, h, c, lim, tables);
    }
    return (d & 1) ? scan_avx2_impl(b, p, limit, h, c, lim, d, tables, 1)
                   : scan_avx2_impl(b, p, limit, h, c, lim, d, tables, 0);
}

#endif /* JC_X86 */

/* ---------------------------------------------------------------- exported */

/**
 * Rolls the hash h over b[pos, limit) (the outgoing byte of position p is b[p - 48]) and stops after the first byte
 * whose hash is a cut: returns the position just past it (>= 0). Without a cut returns a negative value: bit 63
 * set and the hash after b[limit - 1] in the low 32 bits. c and lim are the divisibility constants of the
 * discriminator d (c = ceil(2^64 / d), lim = c - 1); tables is the block described at TABLE_T; path chooses the loop
 * (JC_PATH_AVX512: AVX-512 VBMI, JC_PATH_AVX2, else scalar), which the caller has checked this CPU runs
 * (jc_cpu_features). The caller checks 48 <= pos <= limit <= length of b.
 */
JC_EXPORT int64_t jc_buzhash_scan(const uint8_t *b, int32_t pos, int32_t limit, int32_t h, int64_t c, int64_t lim,
                                  int32_t d, const uint8_t *tables, int32_t path) {
#if JC_X86
    if (path == JC_PATH_AVX512) {
        return scan_vbmi(b, pos, limit, (uint32_t) h, (uint64_t) c, (uint64_t) lim, (uint32_t) d, tables);
    }
    if (path == JC_PATH_AVX2) {
        return scan_avx2(b, pos, limit, (uint32_t) h, (uint64_t) c, (uint64_t) lim, (uint32_t) d, tables);
    }
#else
    (void) d;
    (void) path;
#endif
    return scan_scalar(b, pos, limit, (uint32_t) h, (uint64_t) c, (uint64_t) lim, tables);
}
