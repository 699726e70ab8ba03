package org.jcasync.catar;

import org.jcasync.catar.CatarEntry.AclRecord;
import org.jcasync.catar.PosixAcl.Entry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jcasync.catar.PosixAcl.GROUP;
import static org.jcasync.catar.PosixAcl.GROUP_OBJ;
import static org.jcasync.catar.PosixAcl.MASK;
import static org.jcasync.catar.PosixAcl.OTHER;
import static org.jcasync.catar.PosixAcl.USER;
import static org.jcasync.catar.PosixAcl.USER_OBJ;

class PosixAclTest {
    /** What ext4 reports for {@code setfacl -m u:nobody:rw,u:12345:r,g:daemon:r} on a 0644 file. */
    static final byte[] ACCESS = HexFormat.of().parseHex("02000000" + "01000600ffffffff" + "0200040039300000"
            + "02000600feff0000" + "04000400ffffffff" + "0800040001000000" + "10000600ffffffff" + "20000400ffffffff");
    /** What ext4 reports for {@code setfacl -d -m u:nobody:rx,g::r} on a 0755 directory. */
    static final byte[] DEFAULT = HexFormat.of().parseHex("02000000" + "01000700ffffffff" + "02000500feff0000"
            + "04000400ffffffff" + "10000500ffffffff" + "20000500ffffffff");

    static final Map<Long, String> USERS = Map.of(65534L, "nobody", 1L, "daemon");
    static final Map<Long, String> GROUPS = Map.of(65534L, "nogroup", 1L, "daemon");

    /** casync's default: 32-bit ids and user names (none for unknown ids). */
    static final PosixAcl.IdEncoder IDS_AND_NAMES = (id, user) -> new PosixAcl.Qualifier(id, name(id, user));
    /** Names only: the id is not stored; casync then names unknown ids by their number. */
    static final PosixAcl.IdEncoder NAMES_ONLY = (id, user) -> {
        String n = (user ? USERS : GROUPS).get(id);
        return new PosixAcl.Qualifier(0, (n != null ? n : Long.toString(id)).getBytes(StandardCharsets.US_ASCII));
    };
    static final PosixAcl.IdEncoder IDS_ONLY = (id, user) -> new PosixAcl.Qualifier(id, null);

    /** Resolves names like NSS would, else takes the stored id. */
    static final PosixAcl.IdDecoder DECODE = (id, name, user) -> {
        if (name != null) {
            String s = new String(name, StandardCharsets.US_ASCII);
            for (Map.Entry<Long, String> e : (user ? USERS : GROUPS).entrySet()) {
                if (e.getValue().equals(s)) {
                    return e.getKey();
                }
            }
            return Long.parseLong(s);
        }
        return id;
    };

    static byte[] name(long id, boolean user) {
        String n = (user ? USERS : GROUPS).get(id);
        return n == null ? null : n.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] named(long id, long perms, String name) {
        byte[] n = name == null ? new byte[0] : (name + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[16 + n.length];
        CatarFormat.putLe64(b, 0, id);
        CatarFormat.putLe64(b, 8, perms);
        System.arraycopy(n, 0, b, 16, n.length);
        return b;
    }

    static byte[] le64s(long... v) {
        byte[] b = new byte[8 * v.length];
        for (int i = 0; i < v.length; i++) {
            CatarFormat.putLe64(b, 8 * i, v[i]);
        }
        return b;
    }

    static void assertRecords(List<AclRecord> actual, Object... typeAndBody) {
        assertThat(actual).hasSize(typeAndBody.length / 2);
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i).type()).as("type of record " + i).isEqualTo(typeAndBody[2 * i]);
            assertThat(actual.get(i).body()).as("body of record " + i).isEqualTo(typeAndBody[2 * i + 1]);
        }
    }

    @Test
    void parsesAndFormatsKernelValues() throws IOException {
        List<Entry> e = PosixAcl.parse(ACCESS);
        assertThat(e).containsExactly(Entry.of(USER_OBJ, 6), new Entry(USER, 4, 12345), new Entry(USER, 6, 65534),
                Entry.of(GROUP_OBJ, 4), new Entry(GROUP, 4, 1), Entry.of(MASK, 6), Entry.of(OTHER, 4));
        assertThat(PosixAcl.format(e)).isEqualTo(ACCESS);
        assertThat(PosixAcl.format(PosixAcl.parse(DEFAULT))).isEqualTo(DEFAULT);
    }

    @Test
    void formatSortsByTagThenId() throws IOException {
        List<Entry> shuffled = List.of(Entry.of(OTHER, 4), new Entry(GROUP, 4, 1), Entry.of(MASK, 6),
                new Entry(USER, 6, 65534), Entry.of(GROUP_OBJ, 4), new Entry(USER, 4, 12345), Entry.of(USER_OBJ, 6));
        assertThat(PosixAcl.format(shuffled)).isEqualTo(ACCESS);
    }

    @Test
    void refusesMalformedValues() {
        assertThatThrownBy(() -> PosixAcl.parse(new byte[3])).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PosixAcl.parse(HexFormat.of().parseHex("01000000"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PosixAcl.parse(HexFormat.of().parseHex("0200000001000600ffffff")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PosixAcl.parse(HexFormat.of().parseHex("0200000003000600ffffffff")))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> PosixAcl.parse(HexFormat.of().parseHex("0200000001000800ffffffff")))
                .isInstanceOf(IOException.class);
    }

    @Test
    void accessAclWithNamedEntriesRoundTrips() throws IOException {
        List<AclRecord> r = PosixAcl.toRecords(ACCESS, null, IDS_AND_NAMES);
        assertRecords(r,
                CatarFormat.ACL_USER, named(12345, 4, null),
                CatarFormat.ACL_USER, named(65534, 6, "nobody"),
                CatarFormat.ACL_GROUP, named(1, 4, "daemon"),
                CatarFormat.ACL_GROUP_OBJ, le64s(4));
        // the ENTRY mode: owner rw, group bits = mask rw, other r
        assertThat(PosixAcl.accessXattr(r, 0100664, DECODE)).isEqualTo(ACCESS);
        assertThat(PosixAcl.defaultXattr(r, DECODE)).isNull();
    }

    @Test
    void maskWithoutNamedEntriesKeepsTheOwningGroup() throws IOException {
        // setfacl -m m::r on a 0640 file: the mode's group bits become the mask
        byte[] x = PosixAcl.format(List.of(Entry.of(USER_OBJ, 6), Entry.of(GROUP_OBJ, 4), Entry.of(MASK, 4),
                Entry.of(OTHER, 0)));
        List<AclRecord> r = PosixAcl.toRecords(x, null, IDS_AND_NAMES);
        assertRecords(r, CatarFormat.ACL_GROUP_OBJ, le64s(4));
        assertThat(PosixAcl.accessXattr(r, 0100640, DECODE)).isEqualTo(x);
        // a narrower mask than the owning group: the group's own permissions survive in ACL_GROUP_OBJ
        byte[] y = PosixAcl.format(List.of(Entry.of(USER_OBJ, 7), Entry.of(GROUP_OBJ, 7), Entry.of(MASK, 1),
                Entry.of(OTHER, 0)));
        List<AclRecord> ry = PosixAcl.toRecords(y, null, IDS_AND_NAMES);
        assertRecords(ry, CatarFormat.ACL_GROUP_OBJ, le64s(7));
        assertThat(PosixAcl.accessXattr(ry, 0100710, DECODE)).isEqualTo(y);
    }

    @Test
    void minimalAclStoresNothingAndRestoresNoXattr() throws IOException {
        byte[] minimal = PosixAcl.format(List.of(Entry.of(USER_OBJ, 6), Entry.of(GROUP_OBJ, 4), Entry.of(OTHER, 4)));
        assertThat(PosixAcl.toRecords(minimal, null, IDS_AND_NAMES)).isEmpty();
        assertThat(PosixAcl.toRecords(null, null, IDS_AND_NAMES)).isEmpty();
        assertThat(PosixAcl.accessXattr(List.of(), 0100644, DECODE)).isNull();
        assertThat(PosixAcl.defaultXattr(List.of(), DECODE)).isNull();
    }

    @Test
    void defaultAclRoundTrips() throws IOException {
        List<AclRecord> r = PosixAcl.toRecords(null, DEFAULT, IDS_AND_NAMES);
        assertRecords(r,
                CatarFormat.ACL_DEFAULT, le64s(7, 4, 5, 5),
                CatarFormat.ACL_DEFAULT_USER, named(65534, 5, "nobody"));
        assertThat(PosixAcl.defaultXattr(r, DECODE)).isEqualTo(DEFAULT);
        assertThat(PosixAcl.accessXattr(r, 040755, DECODE)).isNull();
    }

    @Test
    void defaultAclWithoutMaskStoresMissingMask() throws IOException {
        byte[] d = PosixAcl.format(List.of(Entry.of(USER_OBJ, 7), Entry.of(GROUP_OBJ, 5), Entry.of(OTHER, 0)));
        List<AclRecord> r = PosixAcl.toRecords(null, d, IDS_AND_NAMES);
        assertRecords(r, CatarFormat.ACL_DEFAULT, le64s(7, 5, 0, -1));
        assertThat(PosixAcl.defaultXattr(r, DECODE)).isEqualTo(d);
        // an empty default ACL (header only) is none
        assertThat(PosixAcl.toRecords(null, HexFormat.of().parseHex("02000000"), IDS_AND_NAMES)).isEmpty();
    }

    @Test
    void accessAndDefaultTogetherInCasyncOrder() throws IOException {
        byte[] dflt = PosixAcl.format(List.of(Entry.of(USER_OBJ, 7), new Entry(USER, 1, 12345),
                new Entry(USER, 5, 65534), Entry.of(GROUP_OBJ, 4), new Entry(GROUP, 7, 1), new Entry(GROUP, 2, 54321),
                Entry.of(MASK, 7), Entry.of(OTHER, 5)));
        List<AclRecord> r = PosixAcl.toRecords(ACCESS, dflt, IDS_AND_NAMES);
        assertThat(r).extracting(AclRecord::type).containsExactly(CatarFormat.ACL_USER, CatarFormat.ACL_USER,
                CatarFormat.ACL_GROUP, CatarFormat.ACL_GROUP_OBJ, CatarFormat.ACL_DEFAULT,
                CatarFormat.ACL_DEFAULT_USER, CatarFormat.ACL_DEFAULT_USER, CatarFormat.ACL_DEFAULT_GROUP,
                CatarFormat.ACL_DEFAULT_GROUP);
        assertThat(PosixAcl.accessXattr(r, 040664, DECODE)).isEqualTo(ACCESS);
        assertThat(PosixAcl.defaultXattr(r, DECODE)).isEqualTo(dflt);
    }

    @Test
    void namedEntriesAreSortedLikeCasync() throws IOException {
        byte[] x = PosixAcl.format(List.of(Entry.of(USER_OBJ, 6), new Entry(USER, 7, 1), new Entry(USER, 4, 12345),
                new Entry(USER, 6, 65534), Entry.of(GROUP_OBJ, 4), Entry.of(MASK, 7), Entry.of(OTHER, 4)));
        // ids stored: by id
        assertRecords(PosixAcl.toRecords(x, null, IDS_ONLY),
                CatarFormat.ACL_USER, named(1, 7, null),
                CatarFormat.ACL_USER, named(12345, 4, null),
                CatarFormat.ACL_USER, named(65534, 6, null),
                CatarFormat.ACL_GROUP_OBJ, le64s(4));
        // names only: every id is 0, so by name (strcmp: digits before letters)
        List<AclRecord> r = PosixAcl.toRecords(x, null, NAMES_ONLY);
        assertRecords(r,
                CatarFormat.ACL_USER, named(0, 4, "12345"),
                CatarFormat.ACL_USER, named(0, 7, "daemon"),
                CatarFormat.ACL_USER, named(0, 6, "nobody"),
                CatarFormat.ACL_GROUP_OBJ, le64s(4));
        // back to the kernel's order, by resolved id
        assertThat(PosixAcl.accessXattr(r, 0100674, DECODE)).isEqualTo(x);
    }

    @Test
    void compareNamedOrdersByIdThenUnnamedFirstThenNameThenPermissions() {
        assertThat(PosixAcl.compareNamed(named(1, 7, "z"), named(2, 0, null))).isNegative();
        assertThat(PosixAcl.compareNamed(named(5, 7, null), named(5, 0, "a"))).isNegative();
        assertThat(PosixAcl.compareNamed(named(5, 0, "ab"), named(5, 0, "b"))).isNegative();
        assertThat(PosixAcl.compareNamed(named(5, 0, "a"), named(5, 0, "ab"))).isNegative();
        assertThat(PosixAcl.compareNamed(named(5, 4, "a"), named(5, 6, "a"))).isNegative();
        assertThat(PosixAcl.compareNamed(named(5, 4, "a"), named(5, 4, "a"))).isZero();
    }
}
