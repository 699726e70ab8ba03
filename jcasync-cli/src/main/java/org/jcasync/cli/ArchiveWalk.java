package org.jcasync.cli;

import org.jcasync.blob.ChunkedInputStream;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarEntry;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.format.FeatureFlags;
import org.jcasync.index.Index;
import org.jcasync.internal.fs.Posix;
import org.jcasync.io.BlockPipe;
import org.jcasync.store.ChunkStore;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * The input of {@code list}, {@code mtree}, {@code stat} and {@code digest}: a .catar (file or stdin), a .caidx (its
 * chunks from the store) or a directory (serialized on a thread into a pipe), decoded as one catar stream. Also
 * casync's formatting helpers for those commands ({@code src/casync-tool.c}, {@code src/util.c}).
 */
final class ArchiveWalk implements Closeable {
    enum Operation { ARCHIVE, ARCHIVE_INDEX, DIRECTORY }

    final Operation operation;
    final CatarDecoder decoder;
    private final List<Closeable> resources = new ArrayList<>();
    private Thread encoderThread;
    private final CasyncOptions o;

    private ArchiveWalk(Operation operation, CatarDecoder decoder, CasyncOptions o) {
        this.operation = operation;
        this.decoder = decoder;
        this.o = o;
    }

    /** Decides what {@code input} is, with casync's rules and messages, and opens it. */
    static ArchiveWalk open(CasyncOptions o, String input, String seekPath) throws IOException {
        Operation op = null;
        if (o.what != null) {
            op = switch (o.what) {
                case "archive" -> Operation.ARCHIVE;
                case "archive-index" -> Operation.ARCHIVE_INDEX;
                case "directory" -> Operation.DIRECTORY;
                default -> throw new UserException("This operation may only be combined with --what=archive, "
                        + "archive-index, or directory.");
            };
        }
        if (input != null && input.regionMatches(true, 0, "file://", 0, 7)) {
            input = Locations.local(input).toString();
        }
        if (op == null && input != null && !input.equals("-")) {
            if (Locations.hasSuffix(input, ".catar")) {
                op = Operation.ARCHIVE;
            } else if (Locations.hasSuffix(input, ".caidx")) {
                op = Operation.ARCHIVE_INDEX;
            }
        }
        if (input == null && (op == null || op == Operation.DIRECTORY)) {
            input = ".";
        }
        boolean stdin = input == null || input.equals("-");
        boolean remote = !stdin && org.jcasync.store.StoreRegistry.isRemote(input);
        if (remote && op != Operation.ARCHIVE_INDEX) {
            throw new UserException("Only .caidx archive indexes can be read from a URL: " + input);
        }
        if (!stdin && !remote) {
            Path p = Locations.local(input);
            if (!Files.exists(p)) {
                throw new UserException("Failed to open \"" + input + "\": No such file or directory");
            }
            if (Files.isDirectory(p)) {
                if (op == null) {
                    op = Operation.DIRECTORY;
                } else if (op != Operation.DIRECTORY) {
                    throw new UserException("Input is a directory, but attempted to list archive or index.");
                }
            } else if (Files.isRegularFile(p)) {
                if (op == null) {
                    throw new UserException("Input should be a directory, .catar or .caidx file. Refusing.");
                } else if (op == Operation.DIRECTORY) {
                    throw new UserException("Input is a regular file, but attempted to list it as directory.");
                }
            } else {
                throw new UserException("Input is neither a file or directory. Refusing.");
            }
        } else if (op == null) {
            op = Operation.ARCHIVE;
        } else if (op == Operation.DIRECTORY) {
            throw new UserException("Input must be local path: -");
        }
        if (op == Operation.DIRECTORY && seekPath != null) {
            throw new UserException("Subtree path only supported when listing archive or archive index.");
        }
        switch (op) {
            case ARCHIVE -> {
                InputStream in = stdin ? System.in : Files.newInputStream(Locations.local(input));
                return new ArchiveWalk(op, new CatarDecoder(new BufferedInputStream(in, 1 << 16)), o);
            }
            case ARCHIVE_INDEX -> {
                Stores.IndexInput idx = Stores.readIndex(o, stdin ? "-" : input);
                Index index = idx.index();
                ChunkStore store = Stores.forReading(o, idx);
                ExecutorService pool = Pools.workers(o.threads);
                ChunkedInputStream in = new ChunkedInputStream(index, store, pool, 8 * o.threads);
                ArchiveWalk w = new ArchiveWalk(op, new CatarDecoder(in, index.featureFlags()), o);
                w.resources.add(in);
                w.resources.add(store);
                w.resources.add(pool::shutdownNow);
                return w;
            }
            default -> {
                return openDirectory(o, Locations.local(input));
            }
        }
    }

    private static ArchiveWalk openDirectory(CasyncOptions o, Path dir) throws IOException {
        long flags = FeatureFlags.forMake(o.withFlags(), o.withoutFlags(), FeatureFlags.WITH_MASK, o.excludeNodump,
                o.excludeSubmounts, o.excludeFile, o.digestAlgorithm() == DigestAlgorithm.SHA512_256);
        long[] uid = o.uidMapping();
        CatarEncoder encoder = new CatarEncoder(flags).uidMapping(uid[0], uid[1]);
        BlockPipe pipe = new BlockPipe(8, 1 << 20);
        Thread t = Thread.ofPlatform().name("jcasync-catar").daemon(true).start(() -> {
            try (OutputStream sink = pipe.sink()) {
                encoder.encode(dir, sink);
            } catch (Throwable e) {
                pipe.fail(e);
            }
        });
        InputStream src = pipe.source();
        ArchiveWalk w = new ArchiveWalk(Operation.DIRECTORY, new CatarDecoder(src, flags), o);
        w.encoderThread = t;
        w.resources.add(src);
        return w;
    }

    /** casync's replay flags: the archive's flags as far as --with/--without ask for them. */
    long replayFlags() {
        long f = decoder.featureFlags();
        if (o.with.isEmpty() && o.without.isEmpty()) {
            return f;
        }
        long mask = expand((o.withFlags() == 0 ? FeatureFlags.WITH_MASK : o.withFlags()) & ~o.withoutFlags())
                | ~FeatureFlags.WITH_MASK;
        return FeatureFlags.normalize(expand(f) & mask);
    }

    /** casync's {@code ca_feature_flags_normalize_mask}: adds the bits a finer feature implies. */
    private static long expand(long f) {
        if ((f & FeatureFlags.WITH_NSEC_TIME) != 0) {
            f |= FeatureFlags.WITH_USEC_TIME;
        }
        if ((f & FeatureFlags.WITH_USEC_TIME) != 0) {
            f |= FeatureFlags.WITH_SEC_TIME;
        }
        if ((f & FeatureFlags.WITH_SEC_TIME) != 0) {
            f |= FeatureFlags.WITH_2SEC_TIME;
        }
        if ((f & FeatureFlags.WITH_32BIT_UIDS) != 0) {
            f |= FeatureFlags.WITH_16BIT_UIDS;
        }
        if ((f & FeatureFlags.WITH_ACL) != 0) {
            f |= FeatureFlags.WITH_PERMISSIONS;
        }
        if ((f & FeatureFlags.WITH_PERMISSIONS) != 0) {
            f |= FeatureFlags.WITH_READ_ONLY;
        }
        return f;
    }

    /** casync's seek path: leading slashes and empty components dropped; null for the root. */
    static byte[] normalizeSeekPath(String p) {
        if (p == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (String c : p.split("/")) {
            if (!c.isEmpty()) {
                if (!b.isEmpty()) {
                    b.append('/');
                }
                b.append(c);
            }
        }
        return b.isEmpty() ? null : b.toString().getBytes(Posix.pathCharset());
    }

    /** True when {@code path} is {@code seek} or below it. */
    static boolean within(byte[] path, byte[] seek) {
        if (seek == null) {
            return true;
        }
        if (path.length < seek.length) {
            return false;
        }
        for (int i = 0; i < seek.length; i++) {
            if (path[i] != seek[i]) {
                return false;
            }
        }
        return path.length == seek.length || path[seek.length] == '/';
    }

    static UserException notFound() {
        return new UserException("Seek path not available in archive.");
    }

    @Override
    public void close() throws IOException {
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing after an error
            }
        }
        if (encoderThread != null) {
            try {
                encoderThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ casync's formatting

    /** {@code mtree_escape_full}: bytes ≤ ' ', ≥ 127, '\\' and '#' as {@code \ooo}. */
    static String escape(byte[] b) {
        StringBuilder s = new StringBuilder(b.length);
        for (byte x : b) {
            int c = x & 0xff;
            if (c <= ' ' || c >= 127 || c == '\\' || c == '#') {
                s.append('\\').append((char) ('0' + c / 64)).append((char) ('0' + c / 8 % 8))
                        .append((char) ('0' + c % 8));
            } else {
                s.append((char) c);
            }
        }
        return s.toString();
    }

    /** The escaped path, "." for the root. */
    static String path(CatarEntry n) {
        String p = escape(n.path());
        return p.isEmpty() ? "." : p;
    }

    /** {@code ls_format_mode}. */
    static String lsMode(long m) {
        char[] r = new char[10];
        r[0] = switch ((int) (m & 0170000)) {
            case 0140000 -> 's';
            case 0040000 -> 'd';
            case 0100000 -> '-';
            case 0060000 -> 'b';
            case 0020000 -> 'c';
            case 0120000 -> 'l';
            case 0010000 -> 'p';
            default -> '?';
        };
        r[1] = (m & 0400) != 0 ? 'r' : '-';
        r[2] = (m & 0200) != 0 ? 'w' : '-';
        r[3] = (m & 04000) != 0 ? ((m & 0100) != 0 ? 's' : 'S') : ((m & 0100) != 0 ? 'x' : '-');
        r[4] = (m & 040) != 0 ? 'r' : '-';
        r[5] = (m & 020) != 0 ? 'w' : '-';
        r[6] = (m & 02000) != 0 ? ((m & 010) != 0 ? 's' : 'S') : ((m & 010) != 0 ? 'x' : '-');
        r[7] = (m & 04) != 0 ? 'r' : '-';
        r[8] = (m & 02) != 0 ? 'w' : '-';
        boolean dir = (m & 0170000) == 0040000;
        r[9] = dir && (m & 01000) != 0 ? ((m & 01) != 0 ? 't' : 'T') : ((m & 01) != 0 ? 'x' : '-');
        return new String(r);
    }

    private static final long[] CHATTR_BITS = {0x800000L, 0x200000L, 0x400000L, 0x10000L, 0x100000L, 0x20000L,
        0x40000L, 0x1000000L, 0x80000L, 0x2000000L};
    private static final char[] CHATTR_CODES = {'S', 'D', 'i', 'a', 'd', 'A', 'c', 'N', 'C', 'P'};

    /** {@code ls_format_chattr} of the chattr bits among feature bits {@code f}. */
    static String lsChattr(long f) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < CHATTR_BITS.length; i++) {
            s.append((f & CHATTR_BITS[i]) != 0 ? CHATTR_CODES[i] : '-');
        }
        return s.toString();
    }

    /** {@code ls_format_fat_attrs} of the FAT bits among feature bits {@code f}. */
    static String lsFatAttrs(long f) {
        return "" + ((f & FeatureFlags.WITH_FLAG_HIDDEN) != 0 ? 'h' : '-')
                + ((f & FeatureFlags.WITH_FLAG_SYSTEM) != 0 ? 's' : '-')
                + ((f & FeatureFlags.WITH_FLAG_ARCHIVE) != 0 ? 'a' : '-');
    }

    /** {@code ca_decoder_current_user}: the USER record, or "root" for id 0 with numeric ids; else null. */
    static String user(CatarEntry n, long archiveFlags, long replay, boolean group) {
        if ((replay & FeatureFlags.WITH_USER_NAMES) == 0) {
            return null;
        }
        String s = group ? n.group() : n.user();
        if (s != null) {
            return s;
        }
        if ((archiveFlags & FeatureFlags.NUMERIC_IDS) != 0 && (group ? n.gid() : n.uid()) == 0) {
            return "root";
        }
        return null;
    }

    /** {@code mtime / 1e9} and {@code mtime % 1e9} as casync prints them (unsigned 64-bit). */
    static String mtreeTime(long mtime) {
        return Long.toUnsignedString(Long.divideUnsigned(mtime, 1_000_000_000L)) + "."
                + String.format("%09d", Long.remainderUnsigned(mtime, 1_000_000_000L));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
