package org.jcasync.catar;

import org.jcasync.catar.CatarEntry.AclRecord;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Converts POSIX ACLs between the Linux kernel's xattr representation ({@code system.posix_acl_access} and
 * {@code system.posix_acl_default}) and casync's ACL records, following casync's encoder
 * ({@code ca_encoder_node_process_acl}) and decoder ({@code ca_decoder_child_to_acl},
 * {@code ca_decoder_child_to_default_acl}).
 *
 * <p>Kernel value ({@code linux/posix_acl_xattr.h}): little-endian u32 version 2, then one
 * {@code {u16 tag, u16 perm, u32 id}} per entry; entries without a qualifier carry id {@link #UNDEFINED_ID}.
 *
 * <p>casync keeps less than the kernel: the owner, owning group (without mask) and other permissions of the access
 * ACL are the file's mode; the owning group's permissions are stored (ACL_GROUP_OBJ) only when the ACL has a mask,
 * and then the mode's group bits are the mask. Named entries are stored with the (shifted) id only when the archive
 * has numeric ids, with a name only when it has user names, sorted by (id, unnamed before named, name,
 * permissions). The default ACL keeps its four base permissions in one ACL_DEFAULT record.
 */
public final class PosixAcl {
    /** The access ACL's xattr name. */
    public static final String ACCESS_XATTR = "system.posix_acl_access";
    /** The default ACL's xattr name (directories only). */
    public static final String DEFAULT_XATTR = "system.posix_acl_default";

    /** Kernel tag of the owner's entry. */
    public static final int USER_OBJ = 0x01;
    /** Kernel tag of a named user's entry. */
    public static final int USER = 0x02;
    /** Kernel tag of the owning group's entry. */
    public static final int GROUP_OBJ = 0x04;
    /** Kernel tag of a named group's entry. */
    public static final int GROUP = 0x08;
    /** Kernel tag of the mask entry. */
    public static final int MASK = 0x10;
    /** Kernel tag of the others' entry. */
    public static final int OTHER = 0x20;
    /** The id of entries without a qualifier ({@code ACL_UNDEFINED_ID}). */
    public static final long UNDEFINED_ID = 0xffffffffL;

    private static final int XATTR_VERSION = 2;
    /** casync's "no such entry" value in ACL_DEFAULT and in its in-memory permissions. */
    private static final long NONE = -1L;

    private PosixAcl() {
    }

    /** One entry of a kernel ACL: tag, permissions (read 4, write 2, execute 1, as in casync) and uid/gid. */
    public record Entry(int tag, int permissions, long id) {
        /** An entry without a qualifier (owner, owning group, mask, other). */
        public static Entry of(int tag, long permissions) {
            return new Entry(tag, (int) (permissions & 7), UNDEFINED_ID);
        }
    }

    /** What casync stores for the uid or gid of a named entry: the id (0 when not stored) and the name or null. */
    public record Qualifier(long id, byte[] name) {
    }

    /** The encoder's mapping of a named entry's uid/gid to what is stored ({@code uid_to_name}, uid shift). */
    @FunctionalInterface
    public interface IdEncoder {
        /** The stored id and name of uid ({@code user}) or gid {@code id}; throws when it cannot be stored. */
        Qualifier encode(long id, boolean user) throws IOException;
    }

    /** The decoder's mapping of a stored id and name (null when none) back to a uid ({@code user}) or gid. */
    @FunctionalInterface
    public interface IdDecoder {
        /** The uid or gid of the stored entry; throws when the name cannot be resolved. */
        long decode(long storedId, byte[] name, boolean user) throws IOException;
    }

    // ---- kernel xattr values ----

    /** The entries of a kernel ACL xattr value, in stored order. */
    public static List<Entry> parse(byte[] value) throws IOException {
        if (value.length < 4 || (value.length - 4) % 8 != 0 || le32(value, 0) != XATTR_VERSION) {
            throw new IOException("malformed POSIX ACL xattr (" + value.length + " bytes)");
        }
        List<Entry> entries = new ArrayList<>((value.length - 4) / 8);
        for (int off = 4; off < value.length; off += 8) {
            int tag = le16(value, off);
            int perm = le16(value, off + 2);
            long id = le32(value, off + 4) & 0xffffffffL;
            if (Integer.bitCount(tag) != 1 || tag > OTHER || (perm & ~7) != 0) {
                throw new IOException("malformed POSIX ACL xattr entry (tag 0x" + Integer.toHexString(tag)
                        + ", permissions 0x" + Integer.toHexString(perm) + ")");
            }
            entries.add(new Entry(tag, perm, tag == USER || tag == GROUP ? id : UNDEFINED_ID));
        }
        return entries;
    }

    /**
     * The kernel xattr value of {@code entries}, in the order the kernel requires and reports (by tag, named
     * entries by id; like libacl's sorting, equal entries keep their order).
     */
    public static byte[] format(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt(Entry::tag).thenComparingLong(Entry::id));
        byte[] b = new byte[4 + 8 * sorted.size()];
        putLe32(b, 0, XATTR_VERSION);
        int off = 4;
        for (Entry e : sorted) {
            b[off] = (byte) e.tag();
            b[off + 1] = (byte) (e.tag() >>> 8);
            b[off + 2] = (byte) e.permissions();
            b[off + 3] = (byte) (e.permissions() >>> 8);
            putLe32(b, off + 4, (int) (e.tag() == USER || e.tag() == GROUP ? e.id() : UNDEFINED_ID));
            off += 8;
        }
        return b;
    }

    // ---- encoding: xattrs to records ----

    /**
     * casync's ACL records of a file, in archive order: ACL_USER*, ACL_GROUP*, [ACL_GROUP_OBJ], [ACL_DEFAULT],
     * ACL_DEFAULT_USER*, ACL_DEFAULT_GROUP*.
     *
     * @param access the {@code system.posix_acl_access} value, or null when the file has none
     * @param dflt the {@code system.posix_acl_default} value of a directory, or null
     */
    public static List<AclRecord> toRecords(byte[] access, byte[] dflt, IdEncoder ids) throws IOException {
        List<AclRecord> out = new ArrayList<>();
        if (access != null) {
            Split a = split(parse(access), ids);
            named(out, CatarFormat.ACL_USER, a.users);
            named(out, CatarFormat.ACL_GROUP, a.groups);
            // The owning group is only stored with a mask: without one, stat()'s group bits are its permissions.
            if (a.groupObj != NONE && a.mask != NONE) {
                byte[] b = new byte[8];
                CatarFormat.putLe64(b, 0, a.groupObj);
                out.add(new AclRecord(CatarFormat.ACL_GROUP_OBJ, b));
            }
        }
        if (dflt != null) {
            Split d = split(parse(dflt), ids);
            // An empty default ACL (none set) has all four missing: no record.
            if (d.userObj != NONE || d.groupObj != NONE || d.other != NONE || d.mask != NONE) {
                byte[] b = new byte[32];
                CatarFormat.putLe64(b, 0, d.userObj);
                CatarFormat.putLe64(b, 8, d.groupObj);
                CatarFormat.putLe64(b, 16, d.other);
                CatarFormat.putLe64(b, 24, d.mask);
                out.add(new AclRecord(CatarFormat.ACL_DEFAULT, b));
            }
            named(out, CatarFormat.ACL_DEFAULT_USER, d.users);
            named(out, CatarFormat.ACL_DEFAULT_GROUP, d.groups);
        }
        return out;
    }

    /** A kernel ACL taken apart the way casync holds it. */
    private static final class Split {
        long userObj = NONE;
        long groupObj = NONE;
        long other = NONE;
        long mask = NONE;
        final List<byte[]> users = new ArrayList<>();
        final List<byte[]> groups = new ArrayList<>();
    }

    private static Split split(List<Entry> entries, IdEncoder ids) throws IOException {
        Split s = new Split();
        for (Entry e : entries) {
            switch (e.tag()) {
                case USER_OBJ -> s.userObj = e.permissions();
                case GROUP_OBJ -> s.groupObj = e.permissions();
                case OTHER -> s.other = e.permissions();
                case MASK -> s.mask = e.permissions();
                case USER -> s.users.add(namedBody(ids.encode(e.id(), true), e.permissions()));
                case GROUP -> s.groups.add(namedBody(ids.encode(e.id(), false), e.permissions()));
                default -> throw new IllegalStateException("tag " + e.tag()); // parse() allows no others
            }
        }
        s.users.sort(PosixAcl::compareNamed);
        s.groups.sort(PosixAcl::compareNamed);
        return s;
    }

    /** The body of an ACL_USER/ACL_GROUP record: id, permissions, then the name and NUL if there is one. */
    private static byte[] namedBody(Qualifier q, long permissions) {
        byte[] name = q.name();
        byte[] b = new byte[16 + (name == null ? 0 : name.length + 1)];
        CatarFormat.putLe64(b, 0, q.id());
        CatarFormat.putLe64(b, 8, permissions);
        if (name != null) {
            System.arraycopy(name, 0, b, 16, name.length);
        }
        return b;
    }

    private static void named(List<AclRecord> out, long type, List<byte[]> bodies) {
        for (byte[] b : bodies) {
            out.add(new AclRecord(type, b));
        }
    }

    /** casync's {@code compare_acl_entry} on record bodies: id, unnamed before named, name (strcmp), permissions. */
    static int compareNamed(byte[] a, byte[] b) {
        int c = Long.compareUnsigned(CatarFormat.le64(a, 0), CatarFormat.le64(b, 0));
        if (c != 0) {
            return c;
        }
        boolean an = a.length > 16;
        boolean bn = b.length > 16;
        if (an != bn) {
            return an ? 1 : -1;
        }
        if (an) {
            c = Arrays.compareUnsigned(a, 16, a.length - 1, b, 16, b.length - 1);
            if (c != 0) {
                return c;
            }
        }
        return Long.compareUnsigned(CatarFormat.le64(a, 8), CatarFormat.le64(b, 8));
    }

    // ---- decoding: records to xattrs ----

    /**
     * The {@code system.posix_acl_access} value casync's decoder gives a file with ENTRY mode {@code mode} and these
     * records, or null when its access ACL is the minimal one the mode expresses (the file then has no such xattr).
     */
    public static byte[] accessXattr(List<AclRecord> records, long mode, IdDecoder ids) throws IOException {
        List<Entry> entries = new ArrayList<>();
        long groupObj = NONE;
        for (AclRecord r : records) {
            if (r.type() == CatarFormat.ACL_GROUP_OBJ) {
                groupObj = CatarFormat.le64(r.body(), 0);
            } else if (r.type() == CatarFormat.ACL_USER || r.type() == CatarFormat.ACL_GROUP) {
                entries.add(namedEntry(r, ids));
            }
        }
        if (groupObj == NONE && entries.isEmpty()) {
            return null;
        }
        entries.add(Entry.of(USER_OBJ, mode >>> 6));
        entries.add(Entry.of(OTHER, mode));
        if (groupObj != NONE) {
            // With a mask the mode's group bits are the mask (what stat() reports), not the owning group's.
            entries.add(Entry.of(MASK, mode >>> 3));
            entries.add(Entry.of(GROUP_OBJ, groupObj));
        } else {
            entries.add(Entry.of(GROUP_OBJ, mode >>> 3));
        }
        return format(entries);
    }

    /**
     * The {@code system.posix_acl_default} value casync's decoder gives a directory with these records, or null when
     * it has no default ACL.
     */
    public static byte[] defaultXattr(List<AclRecord> records, IdDecoder ids) throws IOException {
        byte[] base = null;
        List<Entry> named = new ArrayList<>();
        for (AclRecord r : records) {
            if (r.type() == CatarFormat.ACL_DEFAULT) {
                base = r.body();
            } else if (r.type() == CatarFormat.ACL_DEFAULT_USER || r.type() == CatarFormat.ACL_DEFAULT_GROUP) {
                named.add(namedEntry(r, ids));
            }
        }
        // casync builds the default ACL only when ACL_DEFAULT has the owner's permissions; else it stays empty.
        if (base == null || CatarFormat.le64(base, 0) == NONE) {
            return null;
        }
        List<Entry> entries = new ArrayList<>(named);
        entries.add(Entry.of(USER_OBJ, CatarFormat.le64(base, 0)));
        entries.add(Entry.of(GROUP_OBJ, CatarFormat.le64(base, 8)));
        entries.add(Entry.of(OTHER, CatarFormat.le64(base, 16)));
        long mask = CatarFormat.le64(base, 24);
        if (mask != NONE) {
            entries.add(Entry.of(MASK, mask));
        }
        return format(entries);
    }

    private static Entry namedEntry(AclRecord r, IdDecoder ids) throws IOException {
        byte[] b = r.body();
        boolean user = r.type() == CatarFormat.ACL_USER || r.type() == CatarFormat.ACL_DEFAULT_USER;
        byte[] name = b.length > 16 ? Arrays.copyOfRange(b, 16, b.length - 1) : null;
        long id = ids.decode(CatarFormat.le64(b, 0), name, user);
        return new Entry(user ? USER : GROUP, (int) (CatarFormat.le64(b, 8) & 7), id);
    }

    private static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int off) {
        return le16(b, off) | le16(b, off + 2) << 16;
    }

    private static void putLe32(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
