package org.jcasync.cli;

import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarEntry;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.Hasher;
import org.jcasync.format.FeatureFlags;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/**
 * {@code list}, {@code mtree} and {@code stat} {@code [ARCHIVE|ARCHIVE_INDEX|DIRECTORY] [PATH]}: casync's output
 * for each node ({@code src/casync-tool.c list_one_file}), read from a streaming decode of the archive.
 */
abstract class ListingCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT",
            description = "Archive (.catar, - for stdin), archive index (.caidx) or directory (default: .)")
    String input;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH",
            description = "Only this node (stat) or this subtree (list, mtree) of an archive")
    String path;

    private static final DateTimeFormatter STAT_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    abstract String verb();

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        try (ArchiveWalk w = ArchiveWalk.open(o, input, path)) {
            walk(w, out);
        } finally {
            out.flush();
        }
        return 0;
    }

    private void walk(ArchiveWalk w, OutputStream out) throws IOException {
        String verb = verb();
        byte[] seek = ArchiveWalk.normalizeSeekPath(path);
        CatarDecoder d = w.decoder;
        boolean found = false;
        Hasher payload = null;
        Hasher hardlink = null;
        CatarDecoder.Event e;
        while ((e = d.next()) != null) {
            CatarEntry n = e.entry();
            if (!ArchiveWalk.within(n.path(), seek)) {
                if (found) {
                    break;
                }
                continue;
            }
            found = true;
            long flags = d.featureFlags();
            long replay = w.replayFlags();
            if (e.kind() == CatarDecoder.Kind.ENTRY) {
                DigestAlgorithm alg = DigestAlgorithm.fromFeatureFlags(flags);
                switch (verb) {
                    case "list" -> out.write(ArchiveWalk.utf8(ArchiveWalk.lsMode(n.mode()) + " "
                            + ArchiveWalk.path(n) + "\n"));
                    case "mtree" -> {
                        out.write(ArchiveWalk.utf8(mtree(n, flags, replay)));
                        if (n.isRegularFile()) {
                            Hasher h = alg.newHasher();
                            payload = h;
                            d.tap(h::update);
                        }
                    }
                    default -> {
                        out.write(ArchiveWalk.utf8(stat(w, n, flags, replay)));
                        if (w.operation == ArchiveWalk.Operation.DIRECTORY && (flags & 0x10000000L) == 0) {
                            // casync's encoder has no xattr list to enumerate without the xattrs feature (quirk)
                            throw new UserException("Failed to enumerate extended attributes: No data available");
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
                if (verb.equals("mtree") && n.isRegularFile()) {
                    d.tap(null);
                    String label = o.digestAlgorithm() == DigestAlgorithm.SHA256 ? "sha256digest" : "sha512256digest";
                    out.write(ArchiveWalk.utf8(" " + label + "=" + ChunkId.of(payload.digest()).toHex() + "\n"));
                } else if (verb.equals("stat") && !n.isDirectory()) {
                    d.tap(null);
                    StringBuilder s = new StringBuilder();
                    if (n.isRegularFile() || n.type() == 0060000) {
                        s.append("  Digest: ").append(ChunkId.of(payload.digest()).toHex()).append('\n');
                    }
                    s.append("HLDigest: ").append(ChunkId.of(hardlink.digest()).toHex()).append('\n');
                    out.write(ArchiveWalk.utf8(s.toString()));
                    return;
                }
                if (seek != null && n.path().length == seek.length) {
                    break;
                }
            }
        }
        if (!found) {
            throw ArchiveWalk.notFound();
        }
    }

    private static String mtree(CatarEntry n, long flags, long replay) {
        StringBuilder s = new StringBuilder(ArchiveWalk.path(n));
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
            s.append(" link=").append(ArchiveWalk.escape(n.symlinkTarget()));
        }
        if (n.isDevice()) {
            s.append(" device=linux,").append(n.rdevMajor()).append(',').append(n.rdevMinor());
        }
        if ((replay & FeatureFlags.NUMERIC_IDS) != 0) {
            s.append(" uid=").append(n.uid()).append(" gid=").append(n.gid());
        }
        String user = ArchiveWalk.user(n, flags, replay, false);
        String group = ArchiveWalk.user(n, flags, replay, true);
        if (user != null) {
            s.append(" uname=").append(ArchiveWalk.escape(ArchiveWalk.utf8(user)));
        }
        if (group != null) {
            s.append(" gname=").append(ArchiveWalk.escape(ArchiveWalk.utf8(group)));
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
            s.append(" time=").append(ArchiveWalk.mtreeTime(n.mtime()));
        }
        if (!n.isRegularFile()) {
            s.append('\n');
        }
        return s.toString();
    }

    private static String stat(ArchiveWalk w, CatarEntry n, long flags, long replay) {
        StringBuilder s = new StringBuilder();
        s.append("    File: ").append(ArchiveWalk.path(n)).append('\n');
        s.append("    Mode: ").append(ArchiveWalk.lsMode(n.mode())).append('\n');
        if (n.isRegularFile() || n.isDirectory()) {
            // casync's encoder (directory input) only knows the attributes it was asked to read
            boolean dir = w.operation == ArchiveWalk.Operation.DIRECTORY;
            if (!dir || (flags & (0x3ff0000L | FeatureFlags.EXCLUDE_NODUMP)) != 0) {
                s.append("FileAttr: ").append(ArchiveWalk.lsChattr(n.entryFlags() & replay)).append('\n');
            }
            if (!dir || (flags & 0xe000L) != 0) {
                s.append(" FATAttr: ").append(ArchiveWalk.lsFatAttrs(n.entryFlags() & replay)).append('\n');
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
        String user = ArchiveWalk.user(n, flags, replay, false);
        String group = ArchiveWalk.user(n, flags, replay, true);
        idLine(s, "    User: ", ids, n.uid(), user);
        idLine(s, "   Group: ", ids, n.gid(), group);
        long projid = n.quotaProjid();
        if (w.operation == ArchiveWalk.Operation.DIRECTORY) {
            // casync's encoder reports the project id of every regular file and directory (0 included): the one it
            // read on ext4, xfs and fuse, 0 on other file systems
            boolean read = (flags & FeatureFlags.WITH_QUOTA_PROJID) != 0 && (n.isRegularFile() || n.isDirectory());
            projid = read ? Math.max(0, projid) : -1;
        }
        if (projid >= 0) {
            s.append("  ProjID: ").append(projid).append('\n');
        }
        if (n.isSymlink()) {
            s.append("  Target: ").append(ArchiveWalk.escape(n.symlinkTarget())).append('\n');
        }
        if (n.isDevice()) {
            s.append("  Device: ").append(n.rdevMajor()).append(':').append(n.rdevMinor()).append('\n');
        }
        for (CatarEntry.Xattr x : n.xattrs()) {
            s.append("   XAttr: ").append(ArchiveWalk.escape(x.name())).append(" \u2192 ")
                    .append(ArchiveWalk.escape(x.value())).append('\n');
        }
        return s.toString();
    }

    private static void idLine(StringBuilder s, String label, boolean ids, long id, String name) {
        if (!ids && name == null) {
            return;
        }
        s.append(label);
        if (ids && name != null) {
            s.append(ArchiveWalk.escape(ArchiveWalk.utf8(name))).append(" (").append(id).append(")\n");
        } else if (ids) {
            s.append(id).append('\n');
        } else {
            s.append(ArchiveWalk.escape(ArchiveWalk.utf8(name))).append('\n');
        }
    }
}
