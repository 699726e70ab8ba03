#!/bin/sh
# Builds jcasync's native library (sha512mb.c: multi-buffer SHA-512/256; buzhash.c: the chunker's inner loop)
# into OUTDIR/libjcasync-sha.so; Maven runs it with
# OUTDIR = target/classes/org/jcasync/chunk/native/linux-x86_64 so the library ships as a class-path resource.
# The native digest is optional: without a C compiler, on another OS or CPU family, or when the compile fails,
# this prints one line and exits 0, and Java hashes with OpenSSL or the JDK instead.
set -u
out=${1:?usage: build.sh OUTDIR}
dir=$(cd "$(dirname "$0")" && pwd)
src=$dir/sha512mb.c
src2=$dir/buzhash.c
lib=$out/libjcasync-sha.so
skip() { echo "jcasync: native library (multi-buffer digest, chunker loop) skipped: $*"; exit 0; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || skip "not linux x86_64 ($(uname -s) $(uname -m))"
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc)"
# Incremental builds: nothing to do when the library is newer than its source and this script.
if [ -f "$lib" ] && [ "$lib" -nt "$src" ] && [ "$lib" -nt "$src2" ] && [ "$lib" -nt "$0" ]; then exit 0; fi
mkdir -p "$out" || skip "cannot create $out"
# The AVX-512 code carries its own target attributes, so the library itself assumes only baseline x86-64 and its
# CPU check runs anywhere. Hidden visibility keeps the exported symbols to the two jc_ functions.
if "$cc" -O3 -fPIC -shared -fvisibility=hidden -Wall -o "$lib.tmp" "$src" "$src2"; then
  mv -f "$lib.tmp" "$lib"
else
  rm -f "$lib.tmp" "$lib"   # never ship a library built from older source
  skip "$cc failed to compile $src $src2 (see above)"
fi
