package org.jcasync.catar;

import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.Xattrs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatarEncoderTest {
    static final long DEFAULT_DIR = 0xb0000001ffeffe26L;

    /** §5.8 of the format reference: verified output of {@code casync make golden.catar g}. */
    static final String GOLDEN = ""
            + "4000000000000000 51bb5beabcfa9613 26feefff010000b0 ed41000000000000"
            + "0000000000000000 0000000000000000 0000000000000000 0000a0d885573416"
            + "1600000000000000 0b1f16b3bc6ebb6d 68656c6c6f00 4000000000000000 51bb"
            + "5beabcfa9613 26feefff010000b0 a481000000000000 0000000000000000"
            + "0000000000000000 0000000000000000 0000a0d885573416 1600000000000000 c9ff"
            + "dcd6931d9e8b 68656c6c6f0a 4000000000000000 03c427835e5cd3df 6c00000000000000"
            + "6c00000000000000 27af104ab433e0e2 ac00000000000000 4000000000000000"
            + "43297033a56f4457";

    @TempDir
    Path tmp;

    private static boolean root() throws IOException {
        return "0".equals(String.valueOf(Files.getAttribute(Path.of("/"), "unix:uid")))
                && ((Integer) Files.getAttribute(Files.createTempFile("uid", ""), "unix:uid")) == 0;
    }

    private static byte[] encode(Path dir, long flags) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        long n = new CatarEncoder(flags).encode(dir, bos);
        assertThat(n).isEqualTo(bos.size());
        return bos.toByteArray();
    }

    @Test
    void goldenArchiveIsByteExact() throws Exception {
        Assumptions.assumeTrue(root(), "the golden archive was made as root (uid/gid 0)");
        Path g = Files.createDirectory(tmp.resolve("g"));
        Path hello = Files.writeString(g.resolve("hello"), "hello\n");
        Files.setPosixFilePermissions(hello, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(g, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(hello, FileTime.from(1600000000L, TimeUnit.SECONDS));
        Files.setLastModifiedTime(g, FileTime.from(1600000000L, TimeUnit.SECONDS));
        byte[] catar = encode(g, DEFAULT_DIR);
        assertThat(HexFormat.of().formatHex(catar)).isEqualTo(GOLDEN.replace(" ", ""));
        assertThat(catar).hasSize(236);
        byte[] d = MessageDigest.getInstance("SHA-512/256").digest(catar);
        assertThat(HexFormat.of().formatHex(d))
                .isEqualTo("c4f6a5e5de3dad20d903de4ae6f5768d680bea1b8e8e06dfc00e35509152c3ec");
    }

    @Test
    void emptyDirectoryIs104Bytes() throws Exception {
        Path e = Files.createDirectory(tmp.resolve("e"));
        byte[] catar = encode(e, FeatureFlags.DEFAULT_BLOB);
        assertThat(catar).hasSize(104);
        ByteBuffer bb = ByteBuffer.wrap(catar).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bb.getLong(0)).isEqualTo(64);
        assertThat(bb.getLong(8)).isEqualTo(CatarFormat.ENTRY);
        assertThat(bb.getLong(24)).isEqualTo(040777); // no permissions flag
        assertThat(bb.getLong(64)).isEqualTo(40);
        assertThat(bb.getLong(72)).isEqualTo(CatarFormat.GOODBYE);
        assertThat(bb.getLong(80)).isEqualTo(64);
        assertThat(bb.getLong(88)).isEqualTo(40);
        assertThat(bb.getLong(96)).isEqualTo(CatarFormat.GOODBYE_TAIL_MARKER);
    }

    @Test
    void sipHashVector() {
        assertThat(SipHash24.goodbyeHash("hello".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xe2e033b44a10af27L);
    }

    @Test
    void sipHashMatchesReferenceVectors() {
        // The SipHash paper's test vectors: key 00..0f, message 00..(n-1).
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        byte[] m = new byte[64];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) i;
        }
        assertThat(SipHash24.hash(k0, k1, m, 0, 0)).isEqualTo(0x726fdb47dd0e0e31L);
        assertThat(SipHash24.hash(k0, k1, m, 0, 15)).isEqualTo(0xa129ca6149be45e5L);
    }

    /** The §5.5 pseudo-code, written as directly as possible. */
    private static void reference(List<Integer> sorted, int lo, int n, int e, Integer[] out, int i) {
        if (n == 0) {
            return;
        }
        int p = 1 << (e - 1);
        int q = 1 << e;
        int k = n >= p - 1 + p / 2 ? (q - 2) / 2 : (q - 2) / 2 - (p - 1 + p / 2 - n);
        out[i] = sorted.get(lo + k);
        reference(sorted, lo, k, e - 1, out, 2 * i + 1);
        reference(sorted, lo + k + 1, n - k - 1, e - 1, out, 2 * i + 2);
    }

    @Test
    void bstLayoutMatchesReferenceAndIsASearchTree() {
        for (int n = 0; n <= 300; n++) {
            List<Integer> sorted = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sorted.add(i * 10);
            }
            Integer[] expected = new Integer[n];
            if (n > 0) {
                int e = 31 - Integer.numberOfLeadingZeros(n) + 1;
                reference(sorted, 0, n, e, expected, 0);
            }
            Integer[] got = GoodbyeTable.bst(sorted.toArray(new Integer[0]));
            assertThat(got).as("n=%d", n).containsExactly(expected);
            assertThat(got).as("n=%d", n).containsExactlyInAnyOrderElementsOf(sorted);
            for (int i = 0; i < n; i++) {
                checkSubtree(got, 2 * i + 1, Integer.MIN_VALUE, got[i]);
                checkSubtree(got, 2 * i + 2, got[i], Integer.MAX_VALUE);
            }
        }
    }

    private static void checkSubtree(Integer[] a, int i, int min, int max) {
        if (i >= a.length) {
            return;
        }
        assertThat(a[i]).isGreaterThan(min).isLessThan(max);
        checkSubtree(a, 2 * i + 1, min, max);
        checkSubtree(a, 2 * i + 2, min, max);
    }

    @Test
    void bstForSmallSizes() {
        assertThat(GoodbyeTable.bst(new Integer[] {1, 2})).containsExactly(2, 1);
        assertThat(GoodbyeTable.bst(new Integer[] {1, 2, 3})).containsExactly(2, 1, 3);
        assertThat(GoodbyeTable.bst(new Integer[] {1, 2, 3, 4, 5, 6, 7})).containsExactly(4, 2, 6, 1, 3, 5, 7);
    }

    /** Walks the records at top level, returning (type, offset) of FILENAME records in order. */
    private static List<String> filenames(byte[] catar) {
        ByteBuffer bb = ByteBuffer.wrap(catar).order(ByteOrder.LITTLE_ENDIAN);
        List<String> names = new ArrayList<>();
        int pos = 0;
        while (pos < catar.length) {
            long size = bb.getLong(pos);
            long type = bb.getLong(pos + 8);
            if (type == CatarFormat.FILENAME) {
                names.add(new String(catar, pos + 16, (int) size - 17, StandardCharsets.UTF_8));
            }
            pos += (int) size;
        }
        return names;
    }

    @Test
    void childrenAreSortedByRawBytes() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("d"));
        for (String s : List.of("b", "B", "a", "ä", "#x", "a b", "z\\y", "Z")) {
            Files.writeString(d.resolve(s), s);
        }
        byte[] catar = encode(d, FeatureFlags.DEFAULT_BLOB | FeatureFlags.WITH_PERMISSIONS);
        assertThat(filenames(catar)).containsExactly("#x", "B", "Z", "a", "a b", "b", "z\\y", "ä");
    }

    @Test
    void userXattrsAreStoredSorted() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("x"));
        Path f = Files.writeString(d.resolve("f"), "data");
        UserDefinedFileAttributeView v = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        try {
            v.write("zz", ByteBuffer.wrap(new byte[] {1, 2}));
            v.write("aa", ByteBuffer.wrap(new byte[0]));
        } catch (IOException | UnsupportedOperationException e) {
            Assumptions.abort("no user xattrs here: " + e);
        }
        byte[] catar = encode(d, FeatureFlags.DEFAULT_BLOB | 0x10000000L);
        String hex = HexFormat.of().formatHex(catar);
        int i = hex.indexOf(HexFormat.of().formatHex("user.aa\0".getBytes(StandardCharsets.US_ASCII)));
        int j = hex.indexOf(HexFormat.of().formatHex("user.zz\0\1\2".getBytes(StandardCharsets.US_ASCII)));
        assertThat(i).isPositive();
        assertThat(j).isGreaterThan(i);
        // XATTR header: size 16 + "user.aa\0" = 24, type
        assertThat(hex.substring(i - 32, i)).isEqualTo("1800000000000000"
                + HexFormat.of().formatHex(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(CatarFormat.XATTR).array()));
        // without the xattrs flag the attributes are not recorded
        assertThat(HexFormat.of().formatHex(encode(d, FeatureFlags.DEFAULT_BLOB))).doesNotContain(
                HexFormat.of().formatHex("user.aa".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void tooDeepTreeIsRefused() throws Exception {
        Path d = tmp.resolve("deep");
        Path p = d;
        for (int i = 0; i < 64; i++) {
            p = p.resolve("d");
        }
        Files.createDirectories(p);
        assertThatThrownBy(() -> encode(d, FeatureFlags.DEFAULT_BLOB)).isInstanceOf(IOException.class)
                .hasMessageContaining("too deep");
        // 63 levels below the root are fine
        Files.delete(p);
        assertThat(encode(d, FeatureFlags.DEFAULT_BLOB)).isNotEmpty();
    }

    /** path -> SELinux label (null: none) of every entry, decoded from {@code archive}. */
    private static Map<String, String> decode(byte[] archive) throws IOException {
        Map<String, String> r = new TreeMap<>();
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(archive))) {
            CatarDecoder.Event e;
            while ((e = d.next()) != null) {
                if (e.kind() == CatarDecoder.Kind.ENTRY) {
                    byte[] l = e.entry().selinux();
                    r.put(e.entry().pathString(), l == null ? null : new String(l, StandardCharsets.UTF_8));
                }
            }
        }
        return r;
    }

    @Test
    void caexcludeFilesAreHonoured() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("ex"));
        Files.writeString(d.resolve(".caexclude"), "*.o\n/top-only\nsub/deep/\n");
        for (String f : List.of("keep.c", "drop.o", "top-only", "sub/keep.c", "sub/drop.o", "sub/top-only",
                "sub/deep/x", "other/deep/x")) {
            Files.createDirectories(d.resolve(f).getParent());
            Files.writeString(d.resolve(f), f);
        }
        Files.writeString(d.resolve("sub/.caexclude"), "!drop.o\n");
        List<String> kept = List.of("", ".caexclude", "keep.c", "other", "other/deep", "other/deep/x", "sub",
                "sub/.caexclude", "sub/drop.o", "sub/keep.c", "sub/top-only");
        assertThat(decode(encode(d, DEFAULT_DIR)).keySet()).containsExactlyElementsOf(kept);
        // casync 2+20201210 reads .caexclude files even without the EXCLUDE_FILE bit (--exclude-file=no)
        assertThat(decode(encode(d, DEFAULT_DIR & ~FeatureFlags.EXCLUDE_FILE)).keySet())
                .containsExactlyElementsOf(kept);
        // an invalid file fails the encoding, naming the file; an excluded directory's file is never read
        Files.writeString(d.resolve("sub/deep/.caexclude"), "a/../b\n");
        assertThat(encode(d, DEFAULT_DIR)).isNotEmpty();
        Files.writeString(d.resolve("sub/.caexclude"), "/\n");
        assertThatThrownBy(() -> encode(d, DEFAULT_DIR)).isInstanceOf(IOException.class)
                .hasMessageContaining("sub/.caexclude").hasMessageContaining("line 1");
    }

    /** Sets the security.selinux xattr (root can, without an SELinux kernel too); false if refused. */
    private static boolean setLabel(Path p, String value) {
        try {
            Xattrs.lset(p.toString().getBytes(StandardCharsets.UTF_8),
                    "security.selinux".getBytes(StandardCharsets.US_ASCII),
                    value.getBytes(StandardCharsets.UTF_8), p.toString());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void selinuxLabelsOfEveryKindOfFileRoundTrip() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("se"));
        Path f = Files.writeString(d.resolve("f"), "x");
        Path sub = Files.createDirectory(d.resolve("sub"));
        Path link = Files.createSymbolicLink(d.resolve("link"), Path.of("f"));
        Path nul = Files.writeString(d.resolve("nul"), "");
        Files.writeString(d.resolve("plain"), "");
        Assumptions.assumeTrue(setLabel(f, "system_u:object_r:etc_t:s0\0"),
                "cannot set security.selinux here (needs root or an SELinux policy allowing it)");
        assertThat(setLabel(sub, "dir_t")).isTrue();
        assertThat(setLabel(link, "lnk_t\0")).isTrue();
        assertThat(setLabel(nul, "a\0b")).isTrue();
        Map<String, String> labels = decode(encode(d, DEFAULT_DIR));
        Map<String, String> want = new TreeMap<>();
        want.put("", null);
        want.put("f", "system_u:object_r:etc_t:s0");
        want.put("link", "lnk_t");
        want.put("nul", "a");
        want.put("plain", null);
        want.put("sub", "dir_t");
        assertThat(labels).isEqualTo(want);
        // the record: label + NUL, right before the payload here (no FCAPS or QUOTA_PROJID)
        String hex = HexFormat.of().formatHex(encode(d, DEFAULT_DIR));
        String record = HexFormat.of().formatHex(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(16 + 27).putLong(CatarFormat.SELINUX).array())
                + HexFormat.of().formatHex("system_u:object_r:etc_t:s0\0".getBytes(StandardCharsets.US_ASCII));
        assertThat(hex).contains(record);
        assertThat(decode(encode(d, DEFAULT_DIR & ~FeatureFlags.WITH_SELINUX)).values()).containsOnlyNulls();
    }

    @Test
    void modesFollowTheFlags() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("m"));
        Path f = Files.writeString(d.resolve("f"), "");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r-----"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-x---"));
        ByteBuffer ro = ByteBuffer.wrap(encode(d, FeatureFlags.WITH_READ_ONLY)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(ro.getLong(24)).isEqualTo(040777);
        assertThat(ro.getLong(64 + 18 + 24)).isEqualTo(0100444);
        ByteBuffer perm = ByteBuffer.wrap(encode(d, FeatureFlags.WITH_PERMISSIONS)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(perm.getLong(24)).isEqualTo(040750);
        assertThat(perm.getLong(64 + 18 + 24)).isEqualTo(0100440);
    }

    @Test
    void mtimeIsFlooredToTheGranularity() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("t"));
        Files.setLastModifiedTime(d, FileTime.from(Instant.ofEpochSecond(1234567891L, 987654321L)));
        assertThat(mtimeOf(d, FeatureFlags.WITH_NSEC_TIME)).isEqualTo(1234567891987654321L);
        assertThat(mtimeOf(d, FeatureFlags.WITH_USEC_TIME)).isEqualTo(1234567891987654000L);
        assertThat(mtimeOf(d, FeatureFlags.WITH_SEC_TIME)).isEqualTo(1234567891000000000L);
        assertThat(mtimeOf(d, FeatureFlags.WITH_2SEC_TIME)).isEqualTo(1234567890000000000L);
        assertThat(mtimeOf(d, 0)).isZero();
        touch(d, "@-1.5"); // java.nio cannot set times before 1970
        assertThat(mtimeOf(d, FeatureFlags.WITH_NSEC_TIME)).isEqualTo(-1_500_000_000L);
        // casync floors the uint64 value
        assertThat(mtimeOf(d, FeatureFlags.WITH_SEC_TIME))
                .isEqualTo(Long.divideUnsigned(-1_500_000_000L, 1_000_000_000L) * 1_000_000_000L);
        touch(d, "2400-01-01 00:00:00.123456789 UTC"); // java.nio keeps only microseconds here
        assertThat(mtimeOf(d, FeatureFlags.WITH_NSEC_TIME)).isEqualTo(13569465600L * 1_000_000_000L + 123456789L);
    }

    private static void touch(Path p, String when) throws Exception {
        Process pr = new ProcessBuilder("touch", "-h", "-d", when, p.toString()).inheritIO().start();
        assertThat(pr.waitFor()).isZero();
    }

    private static long mtimeOf(Path d, long flags) throws IOException {
        return ByteBuffer.wrap(encode(d, flags)).order(ByteOrder.LITTLE_ENDIAN).getLong(56);
    }
}
