/*
 * What the files of jcasync's native library share: the export marker, the target attributes of the vector code and
 * the numbers of the code paths, which Java passes in (org.jcasync.chunk.NativeLibrary.Path holds the same values).
 *
 * The library is compiled for baseline x86-64: only the functions marked AVX2, AVX512, VBMI or SHANI use those
 * instructions, and Java calls them only after jc_cpu_features() has reported them, so one library runs on every
 * x86-64 CPU and holds every path. Elsewhere the files compile to their scalar code alone.
 */
#ifndef JCNATIVE_H
#define JCNATIVE_H

#include <stdint.h>

#define JC_EXPORT __attribute__((visibility("default")))

/* -DJC_NO_VECTOR compiles the scalar code alone, as on other CPU families (to check that build). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(JC_NO_VECTOR)
#define JC_X86 1
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx512f,avx512bw")))
#define VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))
#define SHANI __attribute__((target("sha,sse4.1")))
#else
#define JC_X86 0
#endif

/* Code paths: the values Java passes to choose one (an unknown or unsupported value runs the scalar code). */
#define JC_PATH_SCALAR 0
#define JC_PATH_AVX512 1
#define JC_PATH_AVX2 2
#define JC_PATH_SHANI 3

/* Bits of jc_cpu_features(): what this CPU and the OS (register state saved on context switches) support. */
#define JC_CPU_AVX2 1
#define JC_CPU_AVX512 2       /* AVX-512 F and BW */
#define JC_CPU_AVX512VBMI 4
#define JC_CPU_SHA 8          /* SHA-NI: SHA-1 and SHA-256 only */

#endif
