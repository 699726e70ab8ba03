/*
 * What this CPU can run, for the run-time choice of code paths (org.jcasync.chunk.NativeLibrary): CPUID for the
 * instruction sets, XGETBV for the OS's consent (an OS that does not save the YMM or ZMM registers on a context switch
 * must not have them used, whatever the CPU offers).
 */
#include "jcnative.h"

#if JC_X86
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t) hi << 32) | lo;
}
#endif

/** The JC_CPU_ bits of this CPU and OS. Safe to call on any CPU. */
JC_EXPORT int32_t jc_cpu_features(void) {
    int32_t f = 0;
#if JC_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return 0;
    }
    int sse41 = (c >> 19) & 1;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    unsigned b7 = 0, c7 = 0;
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, a, b7, c7, d);
    }
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int ymm = (xcr0 & 0x6) == 0x6;             /* SSE and AVX state */
    int zmm = ymm && (xcr0 & 0xE0) == 0xE0;    /* opmask, upper ZMM halves, ZMM16-31 */
    if (avx && ymm && ((b7 >> 5) & 1)) {
        f |= JC_CPU_AVX2;
    }
    if (zmm && ((b7 >> 16) & 1) && ((b7 >> 30) & 1)) {
        f |= JC_CPU_AVX512;
        if ((c7 >> 1) & 1) {
            f |= JC_CPU_AVX512VBMI;
        }
    }
    if (sse41 && ((b7 >> 29) & 1)) {
        f |= JC_CPU_SHA;
    }
#endif
    return f;
}
