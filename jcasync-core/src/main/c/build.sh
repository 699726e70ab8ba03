#!/bin/sh
# Builds jcasync's native library (every .c file here: buzhash.c, the chunker's hot loops; sha512mb.c and
# sha256mb.c, the multi-buffer digests, with mb.c feeding their lanes; cpu.c, the CPU's instruction sets) into
# OUTDIR/libjcasync-native.so; Maven runs it with
# OUTDIR = target/classes/org/jcasync/chunk/native/linux-x86_64 so the library ships as a class-path resource.
# The native code is optional: without a C compiler, on another OS or CPU family, or when the compile fails,
# this prints one line and exits 0, and Java digests and chunks on its own.
set -u
out=${1:?usage: build.sh OUTDIR}
dir=$(cd "$(dirname "$0")" && pwd)
lib=$out/libjcasync-native.so
skip() { echo "jcasync: native library (chunker loops, multi-buffer digests) skipped: $*"; exit 0; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || skip "not linux x86_64 ($(uname -s) $(uname -m))"
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc)"
rm -f "$out/libjcasync-sha.so"   # the library's name before it held the chunker too
# Incremental builds: nothing to do when the library is newer than every source and this script.
if [ -f "$lib" ] && [ -z "$(find "$dir" -maxdepth 1 \( -name '*.c' -o -name '*.h' -o -name build.sh \) \
                              -newer "$lib" -print)" ]; then
  exit 0
fi
mkdir -p "$out" || skip "cannot create $out"
# The AVX2, AVX-512 and SHA-NI code carries its own target attributes (jcnative.h), so the library itself assumes
# only baseline x86-64, holds every path, and its CPU checks run anywhere. Hidden visibility keeps the exported
# symbols to the jc_ functions.
if "$cc" -O3 -fPIC -shared -fvisibility=hidden -Wall -o "$lib.tmp" "$dir"/*.c; then
  mv -f "$lib.tmp" "$lib"
else
  rm -f "$lib.tmp" "$lib"   # never ship a library built from older source
  skip "$cc failed to compile $dir/*.c (see above)"
fi
