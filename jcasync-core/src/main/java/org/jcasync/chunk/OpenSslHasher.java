package org.jcasync.chunk;

import org.jcasync.internal.Downcalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;

/**
 * SHA-512/256 and SHA-256 from OpenSSL's libcrypto through FFM: on this kind of CPU its SHA-512 is about 1.6 times
 * faster than the JDK's. Java arrays are passed to {@code EVP_DigestUpdate} without copying ({@code critical}
 * downcalls with heap access). When libcrypto cannot be loaded, {@link #available()} is false and callers use the
 * JDK's digests.
 */
@SuppressWarnings("restricted")
final class OpenSslHasher implements Hasher {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final MethodHandle CTX_NEW;
    private static final MethodHandle CTX_FREE;
    private static final MethodHandle INIT;
    private static final MethodHandle UPDATE;
    private static final MethodHandle FINAL;
    private static final MemorySegment MD_SHA512_256;
    private static final MemorySegment MD_SHA256;
    /** The name libcrypto was loaded by, or null. */
    private static final String LIBRARY_NAME;

    static {
        MethodHandle ctxNew = null;
        MethodHandle ctxFree = null;
        MethodHandle init = null;
        MethodHandle update = null;
        MethodHandle fin = null;
        MemorySegment sha512256 = MemorySegment.NULL;
        MemorySegment sha256 = MemorySegment.NULL;
        String[] name = {null};
        if (!Boolean.getBoolean("jcasync.noOpenSsl")) {
            try {
                SymbolLookup lib = load(name);
                // The two shapes every native call of jcasync shares (Downcalls explains why).
                ctxNew = Downcalls.function(lib, "EVP_MD_CTX_new");
                ctxFree = Downcalls.function(lib, "EVP_MD_CTX_free");
                init = Downcalls.function(lib, "EVP_DigestInit_ex");
                update = Downcalls.arrayFunction(lib, "EVP_DigestUpdate");
                fin = Downcalls.arrayFunction(lib, "EVP_DigestFinal_ex");
                sha512256 = MemorySegment.ofAddress(Downcalls.invokeQuietly(Downcalls.function(lib, "EVP_sha512_256"),
                        0, 0, 0));
                sha256 = MemorySegment.ofAddress(Downcalls.invokeQuietly(Downcalls.function(lib, "EVP_sha256"), 0, 0,
                        0));
                if (sha512256.equals(MemorySegment.NULL) || sha256.equals(MemorySegment.NULL)) {
                    throw new IllegalStateException("no digest");
                }
            } catch (Throwable t) {
                ctxNew = null;
            }
        }
        CTX_NEW = ctxNew;
        CTX_FREE = ctxFree;
        INIT = init;
        UPDATE = update;
        FINAL = fin;
        MD_SHA512_256 = sha512256;
        MD_SHA256 = sha256;
        LIBRARY_NAME = ctxNew == null ? null : name[0];
    }

    /** Loads libcrypto; its name goes to {@code name[0]}. */
    private static SymbolLookup load(String[] name) {
        IllegalArgumentException last = null;
        for (String candidate : new String[] {"libcrypto.so.3", "libcrypto.so"}) {
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(candidate, Arena.global());
                name[0] = candidate;
                return lib;
            } catch (IllegalArgumentException e) {
                last = e;
            }
        }
        throw last;
    }

    /** True when libcrypto was found. */
    static boolean available() {
        return CTX_NEW != null;
    }

    /** The name libcrypto was loaded by, or null when it was not. */
    static String libraryName() {
        return LIBRARY_NAME;
    }

    private final MemorySegment ctx;
    private final MemorySegment md;
    private final int length;

    OpenSslHasher(DigestAlgorithm alg) {
        try {
            this.ctx = MemorySegment.ofAddress(Downcalls.invokeQuietly(CTX_NEW, 0, 0, 0));
        } catch (Throwable t) {
            throw new IllegalStateException("EVP_MD_CTX_new failed", t);
        }
        if (ctx.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("EVP_MD_CTX_new");
        }
        MemorySegment c = ctx;
        CLEANER.register(this, () -> {
            try {
                Downcalls.invokeQuietly(CTX_FREE, c.address(), 0, 0);
            } catch (Throwable ignored) {
                // nothing to do at cleanup time
            }
        });
        this.md = alg == DigestAlgorithm.SHA256 ? MD_SHA256 : MD_SHA512_256;
        this.length = 32;
        init();
    }

    private void init() {
        try {
            int r = (int) Downcalls.invokeQuietly(INIT, ctx.address(), md.address(), 0);
            if (r != 1) {
                throw new IllegalStateException("EVP_DigestInit_ex failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void update(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        try {
            int r = (int) Downcalls.invokeArray(UPDATE, null, ctx.address(), MemorySegment.ofArray(b).asSlice(off, len),
                    len, 0);
            if (r != 1) {
                throw new IllegalStateException("EVP_DigestUpdate failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public byte[] digest() {
        byte[] out = new byte[length];
        try {
            int r = (int) Downcalls.invokeArray(FINAL, null, ctx.address(), MemorySegment.ofArray(out), 0, 0);
            if (r != 1) {
                throw new IllegalStateException("EVP_DigestFinal_ex failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        init();
        return out;
    }
}
