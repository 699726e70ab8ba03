/*
 * Multi-buffer digests: keeps every lane of a vector compression function busy with its own message.
 *
 * Messages differ in length. Each lane is a small state machine: it feeds the message's full blocks straight from
 * the caller's buffer, then one or two padding blocks built in a per-lane scratch area, then emits the digest and
 * takes the next message, starting from the initial hash value, so the lanes never wait for each other. Messages
 * are handed out longest first (greedy list scheduling), which keeps lanes from running dry long before the end;
 * a batch of more than GROUP messages is done in groups of GROUP, so nothing is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "mb.h"

#define GROUP 256

/* One lane's progress through its current message. */
typedef struct {
    int32_t msg;        /* index of the message, -1 when the lane has run dry */
    int32_t padLeft;    /* padding blocks still to feed; -1 before the padding is built */
    int32_t padNext;    /* index of the next padding block in pad */
    const uint8_t *data;
    uint64_t len;
    uint64_t pos;       /* bytes of full blocks fed so far */
    uint8_t pad[2 * MB_MAX_BLOCK];
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

/*
 * Writes the final block(s) of a message whose last rem (< block) bytes start at tail: the bytes, 0x80, zeros and
 * the message length in bits as a big-endian number of length_bytes. Returns the number of blocks (1 or 2): two when
 * the 0x80 byte and the length do not both fit after the bytes.
 */
static int build_padding(const mb_hash_t *hash, uint8_t *pad, const uint8_t *tail, size_t rem, uint64_t len) {
    int blocks = rem + 1 + (size_t) hash->length_bytes <= (size_t) hash->block ? 1 : 2;
    size_t total = (size_t) blocks * (size_t) hash->block;
    memcpy(pad, tail, rem);
    pad[rem] = 0x80;
    memset(pad + rem + 1, 0, total - rem - 1 - 8);
    /* Message lengths are below 2^61 bytes, so the bit count's bits above 64 (of a 128-bit field) are zero. */
    mb_store_be64(pad + total - 8, len << 3);
    return blocks;
}

static void lane_start(const mb_hash_t *hash, void *state, lane_t *l, int j, int32_t msg, const uint8_t *buf,
                       const int64_t *offs, const int64_t *lens) {
    l->msg = msg;
    l->padLeft = -1;
    l->padNext = 0;
    if (msg >= 0) {
        l->data = buf + offs[msg];
        l->len = (uint64_t) lens[msg];
        l->pos = 0;
    }
    hash->start(state, j);
}

/* The block the lane feeds next; sets *last when it is the message's final block. */
static const uint8_t *lane_next_block(const mb_hash_t *hash, lane_t *l, int *last) {
    size_t block = (size_t) hash->block;
    *last = 0;
    if (l->padLeft < 0 && l->pos + block <= l->len) {
        const uint8_t *p = l->data + l->pos;
        l->pos += block;
        return p;
    }
    if (l->padLeft < 0) {
        l->padLeft = build_padding(hash, l->pad, l->data + l->pos, (size_t) (l->len - l->pos), l->len);
        l->padNext = 0;
    }
    const uint8_t *p = l->pad + block * (size_t) l->padNext++;
    *last = --l->padLeft == 0;
    return p;
}

/* The messages jobs[0, n), longest first. */
static void run_group(const mb_hash_t *hash, void *state, const uint8_t *buf, const job_t *jobs, int32_t n,
                      const int64_t *offs, const int64_t *lens, uint8_t *out) {
    static const uint8_t idle_block[MB_MAX_BLOCK] __attribute__((aligned(64)));
    lane_t lanes[MB_MAX_LANES];
    int32_t next = 0;
    int active = 0;
    for (int j = 0; j < hash->lanes; j++) {
        lane_start(hash, state, &lanes[j], j, next < n ? jobs[next++].idx : -1, buf, offs, lens);
        active += lanes[j].msg >= 0;
    }
    while (active > 0) {
        const uint8_t *p[MB_MAX_LANES];
        unsigned done = 0;
        for (int j = 0; j < hash->lanes; j++) {
            int last = 0;
            p[j] = lanes[j].msg >= 0 ? lane_next_block(hash, &lanes[j], &last) : idle_block;
            done |= (unsigned) last << j;
        }
        hash->compress(state, p);
        for (int j = 0; done != 0; j++, done >>= 1) {
            if (done & 1) {
                hash->finish(state, j, out + (size_t) MB_DIGEST * (size_t) lanes[j].msg);
                lane_start(hash, state, &lanes[j], j, next < n ? jobs[next++].idx : -1, buf, offs, lens);
                active -= lanes[j].msg < 0;
            }
        }
    }
}

void mb_digest_many(const mb_hash_t *hash, void *state, const uint8_t *buf, int32_t n, const int64_t *offs,
                    const int64_t *lens, uint8_t *out) {
    job_t jobs[GROUP];
    for (int32_t first = 0; first < n; first += GROUP) {
        int32_t k = n - first < GROUP ? n - first : GROUP;
        for (int32_t i = 0; i < k; i++) {
            jobs[i].len = (uint64_t) lens[first + i];
            jobs[i].idx = first + i;
        }
        qsort(jobs, (size_t) k, sizeof(job_t), longest_first);
        run_group(hash, state, buf, jobs, k, offs, lens, out);
    }
}
