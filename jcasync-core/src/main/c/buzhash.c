/*
 * The hot loop of jcasync's buzhash chunker (org.jcasync.chunk.Chunker): rolls casync's 48-byte buzhash over a span
 * of the caller's array and stops at the first position whose hash passes the cut test h % d == d - 1.
 *
 * The roll is h' = rotl(h, 1) ^ TO[b[p - 48]] ^ T[b[p]] with TO[x] = rotl(T[x], 48 mod 32). The cut test is done
 * without a division, exactly as in Java: (h + 1) * c <= c - 1 (mod 2^64) with c = ceil(2^64 / d).
 *
 * Scalar code does one byte per step. On CPUs with AVX-512 VBMI (Ice Lake and later, Zen 4) a vector loop does 64
 * bytes per step:
 *  - the 2 x 64 table entries come from byte permutes (vpermi2b) over the tables split into four byte planes,
 *    instead of 128 gathers, and are reassembled into 32-bit entries by unpacks (the input bytes are pre-permuted
 *    so that the unpacks leave the positions in order);
 *  - with x_j = TO[out_j] ^ T[in_j], the hash after byte j of a block of 16 is
 *        h_j = rotl(h_{-1}, j + 1) ^ XOR_{m <= j} rotl(x_m, j - m) = rotl(rotl(h_{-1}, 1) ^ XOR_{m <= j} rotr(x_m, m), j),
 *    a plain prefix XOR (four shift-and-XOR steps) between two per-lane rotations;
 *  - the cut test is filtered with the 32-bit divisibility test of Granlund and Montgomery: (h + 1) mod 2^32 is a
 *    multiple of d = d' 2^k (d' odd) exactly when rotr((h + 1) * inverse(d'), k) <= (2^32 - 1) / d. It never
 *    misses a cut; its only false alarm (h = 2^32 - 1, where h + 1 wraps) is removed by checking each candidate
 *    lane with the exact 64-bit test in order.
 * Both loops give the same positions and hashes.
 */
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JC_HAVE_VBMI 1
#include <immintrin.h>
#define VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))
#else
#define JC_HAVE_VBMI 0
#endif

#define JC_EXPORT __attribute__((visibility("default")))

/* Byte offsets into the caller's table block (built by NativeChunker): T and TO as little-endian 32-bit entries,
 * then their byte planes (plane k holds byte k of every entry). */
#define TABLE_T 0
#define TABLE_TO 1024
#define PLANES_T 2048
#define PLANES_TO 3072

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

#if JC_HAVE_VBMI

/* 64 table lookups: entries idx[i] of one byte plane (256 bytes in four registers' worth); top = bit 7 of idx. */
VBMI static inline __m512i plane_lookup(__m512i idx, __mmask64 top, const uint8_t *plane) {
    __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(plane), idx, _mm512_loadu_si512(plane + 64));
    __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(plane + 128), idx, _mm512_loadu_si512(plane + 192));
    return _mm512_mask_blend_epi8(top, lo, hi);
}

VBMI static int64_t scan_vbmi(const uint8_t *b, int64_t p, int64_t limit, uint32_t h, uint64_t c, uint64_t lim,
                              uint32_t d, const uint8_t *tables) {
    unsigned k = (unsigned) __builtin_ctz(d);
    uint32_t odd = d >> k;
    uint32_t inv = odd; /* Newton's iteration: 3, 6, 12, 24, 48 correct low bits */
    for (int i = 0; i < 4; i++) {
        inv *= 2 - odd * inv;
    }
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i last = _mm512_set1_epi32(15);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i vinv = _mm512_set1_epi32((int32_t) inv);
    const __m512i vk = _mm512_set1_epi32((int32_t) k);
    const __m512i vthr = _mm512_set1_epi32((int32_t) (0xFFFFFFFFu / d));
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

#endif /* JC_HAVE_VBMI */

/* ---------------------------------------------------------------- exported */

/** 1 when this CPU (and OS) runs the AVX-512 VBMI loop, else 0. Safe to call on any CPU. */
JC_EXPORT int32_t jc_buzhash_vector_supported(void) {
#if JC_HAVE_VBMI
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
           && __builtin_cpu_supports("avx512vbmi");
#else
    return 0;
#endif
}

/**
 * Rolls the hash h over b[pos, limit) (the outgoing byte of position p is b[p - 48]) and stops after the first byte
 * whose hash is a cut: returns the position just past it (>= 0). Without a cut returns a negative value: bit 63
 * set and the hash after b[limit - 1] in the low 32 bits. c and lim are the divisibility constants of the
 * discriminator d (c = ceil(2^64 / d), lim = c - 1); tables is the 4 KiB block described at TABLE_T; vector != 0
 * selects the AVX-512 VBMI loop, which the caller has checked with jc_buzhash_vector_supported. The caller checks
 * 48 <= pos <= limit <= length of b.
 */
JC_EXPORT int64_t jc_buzhash_scan(const uint8_t *b, int32_t pos, int32_t limit, int32_t h, int64_t c, int64_t lim,
                                  int32_t d, const uint8_t *tables, int32_t vector) {
#if JC_HAVE_VBMI
    if (vector) {
        return scan_vbmi(b, pos, limit, (uint32_t) h, (uint64_t) c, (uint64_t) lim, (uint32_t) d, tables);
    }
#else
    (void) d;
    (void) vector;
#endif
    return scan_scalar(b, pos, limit, (uint32_t) h, (uint64_t) c, (uint64_t) lim, tables);
}
