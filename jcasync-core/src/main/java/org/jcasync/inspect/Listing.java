package org.jcasync.inspect;

import org.jcasync.catar.ArchivePath;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarEntry;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.Hasher;
import org.jcasync.format.FeatureFlags;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.function.Supplier;

import static org.jcasync.inspect.NodeFormat.escape;
import static org.jcasync.inspect.NodeFormat.utf8;

/**
 * casync's {@code list}, {@code mtree} and {@code stat} output for the nodes of an archive, byte for byte
 * ({@code src/casync-tool.c list_one_file}), written while the archive streams past.
 *
 * <pre>{@code
 * try (ArchiveInput in = ArchiveInput.open("tree.catar", null, null, StoreStack.builder(), 4, null)) {
 *     new Listing(Listing.Format.MTREE).write(in, null, System.out);
 * }
 * }</pre>
 */
public final class Listing {
    /** Which of casync's listings. */
    public enum Format {
        /** {@code MODE PATH} per node. */
        LIST,
        /** BSD mtree lines with each file's digest. */
        MTREE,
        /** One node's metadata, digest and hard-link digest. */
        STAT
    }

    private static final DateTimeFormatter STAT_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final Format format;
    private long with;
    private long without;
    private Supplier<DigestAlgorithm> mtreeLabel = () -> DigestAlgorithm.SHA512_256;

    /** A listing in {@code format}. */
    public Listing(Format format) {
        this.format = format;
    }

    /** The {@code --with}/{@code --without} feature bits (0 for none): what of the archive's metadata is shown. */
    public Listing features(long withFlags, long withoutFlags) {
        this.with = withFlags;
        this.without = withoutFlags;
        return this;
    }

    /**
     * The digest mtree names in its {@code sha512256digest=}/{@code sha256digest=} keys: casync takes the name from
     * {@code --digest}, whatever digest the archive uses. Asked at the first regular file (as casync, an invalid
     * {@code --digest} fails only there).
     */
    public Listing mtreeLabel(Supplier<DigestAlgorithm> d) {
        this.mtreeLabel = d;
        return this;
    }

    /**
     * Writes the listing of the node at {@code path} in {@code in} (the root when null): the node and everything
     * below it (list, mtree), or the node alone (stat).
     *
     * @throws IllegalArgumentException when the archive has no such node
     */
    public void write(ArchiveInput in, String path, OutputStream out) throws IOException {
        byte[] seek = ArchivePath.normalize(path);
        CatarDecoder d = in.decoder();
        boolean found = false;
        Hasher payload = null;
        Hasher hardlink = null;
        CatarDecoder.Event e;
        while ((e = d.next()) != null) {
            CatarEntry n = e.entry();
            if (!ArchivePath.within(n.path(), seek)) {
                if (found) {
                    break;
                }
                continue;
            }
            found = true;
            long flags = d.featureFlags();
            long replay = in.replayFlags(with, without);
            if (e.kind() == CatarDecoder.Kind.ENTRY) {
                DigestAlgorithm alg = DigestAlgorithm.fromFeatureFlags(flags);
                switch (format) {
                    case LIST -> out.write(utf8(NodeFormat.lsMode(n.mode()) + " " + NodeFormat.path(n) + "\n"));
                    case MTREE -> {
                        out.write(utf8(mtree(n, flags, replay)));
                        if (n.isRegularFile()) {
                            Hasher h = alg.newHasher();
                            payload = h;
                            d.tap(h::update);
                        }
                    }
                    case STAT -> {
                        out.write(utf8(stat(in.kind(), n, flags, replay)));
                        if (in.kind() == ArchiveInput.Kind.DIRECTORY && (flags & FeatureFlags.WITH_XATTRS) == 0) {
                            // casync's encoder has no xattr list to enumerate without the xattrs feature (quirk)
                            throw new IllegalArgumentException("Failed to enumerate extended attributes: No data "
                                    + "available");
                        }
                        if (n.isDirectory()) {
                            return;
                        }
                        Hasher p = alg.newHasher();
                        Hasher hl = alg.newHasher();
                        byte[] meta = n.metadata();
                        hl.update(meta, 0, meta.length);
                        payload = p;
                        hardlink = hl;
                        d.tap((b, off, len) -> {
                            p.update(b, off, len);
                            hl.update(b, off, len);
                        });
                    }
                }
            } else {
                if (format == Format.MTREE && n.isRegularFile()) {
                    d.tap(null);
                    String label = mtreeLabel.get() == DigestAlgorithm.SHA256 ? "sha256digest" : "sha512256digest";
                    out.write(utf8(" " + label + "=" + ChunkId.of(payload.digest()).toHex() + "\n"));
                } else if (format == Format.STAT && !n.isDirectory()) {
                    d.tap(null);
                    StringBuilder s = new StringBuilder();
                    if (n.isRegularFile() || n.type() == 0060000) {
                        s.append("  Digest: ").append(ChunkId.of(payload.digest()).toHex()).append('\n');
                    }
                    s.append("HLDigest: ").append(ChunkId.of(hardlink.digest()).toHex()).append('\n');
                    out.write(utf8(s.toString()));
                    return;
                }
                if (seek != null && n.path().length == seek.length) {
                    break;
                }
            }
        }
        if (!found) {
            throw notFound();
        }
    }

    /** casync's refusal of a path the archive does not have. */
    static IllegalArgumentException notFound() {
        return new IllegalArgumentException("Seek path not available in archive.");
    }

    private static String mtree(CatarEntry n, long flags, long replay) {
        StringBuilder s = new StringBuilder(NodeFormat.path(n));
        s.append(switch (n.type()) {
            case 0120000 -> " type=link";
            case 0040000 -> " type=dir";
            case 0100000 -> " type=file";
            case 0140000 -> " type=socket";
            case 0020000 -> " type=char";
            case 0060000 -> " type=block";
            case 0010000 -> " type=fifo";
            default -> "";
        });
        s.append(String.format(" mode=%04o", n.mode() & 07777));
        if (n.isRegularFile()) {
            s.append(" size=").append(Long.toUnsignedString(n.payloadSize()));
        }
        if (n.isSymlink()) {
            s.append(" link=").append(escape(n.symlinkTarget()));
        }
        if (n.isDevice()) {
            s.append(" device=linux,").append(n.rdevMajor()).append(',').append(n.rdevMinor());
        }
        if ((replay & FeatureFlags.NUMERIC_IDS) != 0) {
            s.append(" uid=").append(n.uid()).append(" gid=").append(n.gid());
        }
        String user = NodeFormat.user(n, flags, replay, false);
        String group = NodeFormat.user(n, flags, replay, true);
        if (user != null) {
            s.append(" uname=").append(escape(user));
        }
        if (group != null) {
            s.append(" gname=").append(escape(group));
        }
        long[] table = {FeatureFlags.WITH_FLAG_HIDDEN, FeatureFlags.WITH_FLAG_SYSTEM, FeatureFlags.WITH_FLAG_ARCHIVE,
            FeatureFlags.WITH_FLAG_APPEND, FeatureFlags.WITH_FLAG_NODUMP, FeatureFlags.WITH_FLAG_IMMUTABLE};
        String[] names = {"hidden", "system", "archive", "sappend", "nodump", "simmutable"};
        long any = 0;
        for (long t : table) {
            any |= t;
        }
        if ((flags & any) != 0) {
            // chattr/FAT bits are only known for files and directories; casync prints all set otherwise
            boolean known = n.isRegularFile() || n.isDirectory();
            s.append(" flags=");
            String comma = "";
            for (int i = 0; i < table.length; i++) {
                if ((flags & table[i]) == 0) {
                    continue;
                }
                boolean b = !known || (n.entryFlags() & replay & table[i]) != 0;
                s.append(comma).append(b ? "" : "no").append(names[i]);
                comma = ",";
            }
        }
        if ((replay & FeatureFlags.TIME_BITS) != 0) {
            s.append(" time=").append(NodeFormat.mtreeTime(n.mtime()));
        }
        if (!n.isRegularFile()) {
            s.append('\n');
        }
        return s.toString();
    }

    private static String stat(ArchiveInput.Kind kind, CatarEntry n, long flags, long replay) {
        StringBuilder s = new StringBuilder();
        s.append("    File: ").append(NodeFormat.path(n)).append('\n');
        s.append("    Mode: ").append(NodeFormat.lsMode(n.mode())).append('\n');
        boolean dir = kind == ArchiveInput.Kind.DIRECTORY;
        if (n.isRegularFile() || n.isDirectory()) {
            // casync's encoder (directory input) only knows the attributes it was asked to read
            if (!dir || (flags & (FeatureFlags.WITH_CHATTR | FeatureFlags.EXCLUDE_NODUMP)) != 0) {
                s.append("FileAttr: ").append(NodeFormat.lsChattr(n.entryFlags() & replay)).append('\n');
            }
            if (!dir || (flags & FeatureFlags.WITH_FAT_ATTRS) != 0) {
                s.append(" FATAttr: ").append(NodeFormat.lsFatAttrs(n.entryFlags() & replay)).append('\n');
            }
        }
        s.append("  Offset: ").append(n.offset()).append('\n');
        if ((replay & FeatureFlags.TIME_BITS) != 0) {
            long secs = Long.divideUnsigned(n.mtime(), 1_000_000_000L);
            long ns = Long.remainderUnsigned(n.mtime(), 1_000_000_000L);
            String d = STAT_TIME.format(Instant.ofEpochSecond(secs).atZone(ZoneId.systemDefault()));
            s.append("    Time: ").append(d).append(String.format(".%09d", ns)).append('\n');
        }
        if (n.isRegularFile()) {
            s.append("    Size: ").append(Long.toUnsignedString(n.payloadSize())).append('\n');
        }
        boolean ids = (replay & FeatureFlags.NUMERIC_IDS) != 0;
        idLine(s, "    User: ", ids, n.uid(), NodeFormat.user(n, flags, replay, false));
        idLine(s, "   Group: ", ids, n.gid(), NodeFormat.user(n, flags, replay, true));
        long projid = n.quotaProjid();
        if (dir) {
            // casync's encoder reports the project id of every regular file and directory (0 included): the one it
            // read on ext4, xfs and fuse, 0 on other file systems
            boolean read = (flags & FeatureFlags.WITH_QUOTA_PROJID) != 0 && (n.isRegularFile() || n.isDirectory());
            projid = read ? Math.max(0, projid) : -1;
        }
        if (projid >= 0) {
            s.append("  ProjID: ").append(projid).append('\n');
        }
        if (n.isSymlink()) {
            s.append("  Target: ").append(escape(n.symlinkTarget())).append('\n');
        }
        if (n.isDevice()) {
            s.append("  Device: ").append(n.rdevMajor()).append(':').append(n.rdevMinor()).append('\n');
        }
        for (CatarEntry.Xattr x : n.xattrs()) {
            s.append("   XAttr: ").append(escape(x.name())).append(" \u2192 ").append(escape(x.value())).append('\n');
        }
        return s.toString();
    }

    private static void idLine(StringBuilder s, String label, boolean ids, long id, String name) {
        if (!ids && name == null) {
            return;
        }
        s.append(label);
        if (ids && name != null) {
            s.append(escape(name)).append(" (").append(id).append(")\n");
        } else if (ids) {
            s.append(id).append('\n');
        } else {
            s.append(escape(name)).append('\n');
        }
    }
}
