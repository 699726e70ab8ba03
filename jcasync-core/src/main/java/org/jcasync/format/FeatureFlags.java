package org.jcasync.format;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * casync's feature-flag word ({@code src/caformat.h}): which metadata an archive records, plus the EXCLUDE_* and
 * digest bits. The same word is written in index headers and in every catar ENTRY.
 */
public final class FeatureFlags {
    /** 16-bit uids/gids. */
    public static final long WITH_16BIT_UIDS = 0x1L;
    /** 32-bit uids/gids. */
    public static final long WITH_32BIT_UIDS = 0x2L;
    /** User and group names. */
    public static final long WITH_USER_NAMES = 0x4L;
    /** 1 s timestamps. */
    public static final long WITH_SEC_TIME = 0x8L;
    /** 1 µs timestamps. */
    public static final long WITH_USEC_TIME = 0x10L;
    /** 1 ns timestamps. */
    public static final long WITH_NSEC_TIME = 0x20L;
    /** 2 s timestamps (FAT). */
    public static final long WITH_2SEC_TIME = 0x40L;
    /** Read-only flag only. */
    public static final long WITH_READ_ONLY = 0x80L;
    /** Full permissions. */
    public static final long WITH_PERMISSIONS = 0x100L;
    /** FAT hidden attribute. */
    public static final long WITH_FLAG_HIDDEN = 0x2000L;
    /** FAT system attribute. */
    public static final long WITH_FLAG_SYSTEM = 0x4000L;
    /** FAT archive attribute. */
    public static final long WITH_FLAG_ARCHIVE = 0x8000L;
    /** chattr +a. */
    public static final long WITH_FLAG_APPEND = 0x10000L;
    /** chattr +d. */
    public static final long WITH_FLAG_NODUMP = 0x100000L;
    /** chattr +i. */
    public static final long WITH_FLAG_IMMUTABLE = 0x400000L;
    /** POSIX ACLs. */
    public static final long WITH_ACL = 0x20000000L;
    /** btrfs subvolume. */
    public static final long WITH_SUBVOLUME = 0x4000000L;
    /** btrfs read-only subvolume. */
    public static final long WITH_SUBVOLUME_RO = 0x8000000L;
    /** Symbolic links. */
    public static final long WITH_SYMLINKS = 0x200L;
    /** Block and character devices. */
    public static final long WITH_DEVICE_NODES = 0x400L;
    /** Named pipes. */
    public static final long WITH_FIFOS = 0x800L;
    /** Unix sockets. */
    public static final long WITH_SOCKETS = 0x1000L;
    /** FAT hidden/system/archive attributes. */
    public static final long WITH_FAT_ATTRS = 0xe000L;
    /** The ten chattr(1) flags casync records. */
    public static final long WITH_CHATTR = 0x3ff0000L;
    /** chattr +A. */
    public static final long WITH_FLAG_NOATIME = 0x20000L;
    /** chattr +c. */
    public static final long WITH_FLAG_COMPR = 0x40000L;
    /** chattr +C. */
    public static final long WITH_FLAG_NOCOW = 0x80000L;
    /** chattr +D. */
    public static final long WITH_FLAG_DIRSYNC = 0x200000L;
    /** chattr +S. */
    public static final long WITH_FLAG_SYNC = 0x800000L;
    /** chattr +m. */
    public static final long WITH_FLAG_NOCOMP = 0x1000000L;
    /** chattr +P. */
    public static final long WITH_FLAG_PROJINHERIT = 0x2000000L;
    /** Extended attributes. */
    public static final long WITH_XATTRS = 0x10000000L;
    /** SELinux labels. */
    public static final long WITH_SELINUX = 0x40000000L;
    /** File capabilities. */
    public static final long WITH_FCAPS = 0x80000000L;
    /** Quota project ids. */
    public static final long WITH_QUOTA_PROJID = 0x100000000L;
    /** Any timestamp granularity: an archive with none of them stores no times. */
    public static final long TIME_BITS = WITH_NSEC_TIME | WITH_USEC_TIME | WITH_SEC_TIME | WITH_2SEC_TIME;
    /** Either numeric uid/gid width. */
    public static final long NUMERIC_IDS = WITH_16BIT_UIDS | WITH_32BIT_UIDS;
    /** Every WITH_* bit. */
    public static final long WITH_MASK = 0x1ffffffffL;
    /** Honour .caexclude files. */
    public static final long EXCLUDE_FILE = 0x1000000000000000L;
    /** Chunk ids are SHA-512/256 (clear: SHA-256). */
    public static final long SHA512_256 = 0x2000000000000000L;
    /** Skip submounts. */
    public static final long EXCLUDE_SUBMOUNTS = 0x4000000000000000L;
    /** Skip chattr +d files. */
    public static final long EXCLUDE_NODUMP = 0x8000000000000000L;
    /** Every bit casync knows. */
    public static final long MAX = 0xf0000001ffffffffL;
    /** What {@code casync make x.caibx} writes by default. */
    public static final long DEFAULT_BLOB = EXCLUDE_NODUMP | EXCLUDE_FILE | SHA512_256;

    /** The {@code --with=}/{@code --without=} names in casync's order: 33 single features, then the presets. */
    private static final Map<String, Long> NAMES = new LinkedHashMap<>();

    static {
        String[] single = {"16bit-uids", "32bit-uids", "user-names", "sec-time", "usec-time", "nsec-time",
            "2sec-time", "read-only", "permissions", "symlinks", "device-nodes", "fifos", "sockets", "flag-hidden",
            "flag-system", "flag-archive", "flag-append", "flag-noatime", "flag-compr", "flag-nocow", "flag-nodump",
            "flag-dirsync", "flag-immutable", "flag-sync", "flag-nocomp", "flag-projinherit", "subvolume",
            "subvolume-ro", "xattrs", "acl", "selinux", "fcaps", "quota-projid"};
        for (int i = 0; i < single.length; i++) {
            NAMES.put(single[i], 1L << i);
        }
        NAMES.put("best", 0x1fffffe26L);
        NAMES.put("unix", 0x1f09L);
        NAMES.put("fat", 0xe0c0L);
        NAMES.put("chattr", 0x3ff0000L);
        NAMES.put("fat-attrs", 0xe000L);
        NAMES.put("privileged", 0x1ec414407L);
        NAMES.put("fuse", 0x13fffffbL);
        NAMES.put("all", WITH_MASK);
    }

    private FeatureFlags() {
    }

    /** The bits of one {@code --with=} name (a feature or a preset). */
    public static long parseWith(String name) {
        Long v = NAMES.get(name);
        if (v == null) {
            throw new IllegalArgumentException("unknown feature '" + name + "' (see --with=help)");
        }
        return v;
    }

    /** The single feature names, as {@code casync --with=help} lists them. */
    public static List<String> singleNames() {
        return NAMES.keySet().stream().limit(33).toList();
    }

    /**
     * The flag word {@code casync make} writes: the {@code --with} bits (or {@code defaultWith} when none were
     * given) minus the {@code --without} bits, plus the EXCLUDE_* and digest bits, normalized.
     */
    public static long forMake(long with, long without, long defaultWith, boolean excludeNodump,
            boolean excludeSubmounts, boolean excludeFile, boolean sha512256) {
        long f = (with == 0 ? defaultWith : with) & ~without;
        if (excludeNodump) {
            f |= EXCLUDE_NODUMP;
        }
        if (excludeSubmounts) {
            f |= EXCLUDE_SUBMOUNTS;
        }
        if (excludeFile) {
            f |= EXCLUDE_FILE;
        }
        if (sha512256) {
            f |= SHA512_256;
        }
        return normalize(f);
    }

    /** True when {@code flags} only uses known bits. */
    public static boolean known(long flags) {
        return flags != -1L && (flags & ~MAX) == 0;
    }

    /** casync's {@code ca_feature_flags_normalize}: drops redundant bits so one feature set has one word. */
    public static long normalize(long flags) {
        if (!known(flags)) {
            throw new IllegalArgumentException(String.format("unknown feature flags 0x%016x", flags));
        }
        if ((flags & WITH_ACL) != 0 && (flags & (WITH_16BIT_UIDS | WITH_32BIT_UIDS | WITH_USER_NAMES)) == 0) {
            flags |= WITH_32BIT_UIDS | WITH_USER_NAMES;
        }
        if ((flags & WITH_32BIT_UIDS) != 0) {
            flags &= ~WITH_16BIT_UIDS;
        }
        if ((flags & WITH_NSEC_TIME) != 0) {
            flags &= ~(WITH_USEC_TIME | WITH_SEC_TIME | WITH_2SEC_TIME);
        }
        if ((flags & WITH_USEC_TIME) != 0) {
            flags &= ~(WITH_SEC_TIME | WITH_2SEC_TIME);
        }
        if ((flags & WITH_SEC_TIME) != 0) {
            flags &= ~WITH_2SEC_TIME;
        }
        if ((flags & WITH_ACL) != 0) {
            flags &= ~(WITH_PERMISSIONS | WITH_READ_ONLY);
        }
        if ((flags & WITH_PERMISSIONS) != 0) {
            flags &= ~WITH_READ_ONLY;
        }
        if ((flags & EXCLUDE_NODUMP) != 0) {
            flags &= ~WITH_FLAG_NODUMP;
        }
        if ((flags & WITH_SUBVOLUME_RO) != 0) {
            flags |= WITH_SUBVOLUME;
        }
        return flags;
    }

    /** casync's {@code ca_feature_flags_are_normalized}: the check readers apply to index headers. */
    public static boolean isNormalized(long flags) {
        return known(flags) && normalize(flags) == flags
                && (flags & (WITH_16BIT_UIDS | WITH_32BIT_UIDS)) != (WITH_16BIT_UIDS | WITH_32BIT_UIDS);
    }

    // chattr flags (linux/fs.h) and the feature bits casync maps them to (src/caformat-util.c).
    private static final int[] CHATTR_BITS = {0x20, 0x80, 0x4, 0x800000, 0x40, 0x10000, 0x10, 0x8, 0x400,
        0x20000000};
    private static final long[] CHATTR_FEATURES = {0x10000L, 0x20000L, 0x40000L, 0x80000L, 0x100000L, 0x200000L,
        0x400000L, 0x800000L, 0x1000000L, 0x2000000L};

    /** The feature bits of chattr flags ({@code ca_feature_flags_from_chattr}). */
    public static long fromChattr(int chattr) {
        return features(chattr, CHATTR_BITS, CHATTR_FEATURES);
    }

    /** The chattr flags of feature bits ({@code ca_feature_flags_to_chattr}). */
    public static int toChattr(long flags) {
        return bits(flags, CHATTR_BITS, CHATTR_FEATURES);
    }

    /** FAT attribute bits (linux/msdos_fs.h ATTR_HIDDEN, ATTR_SYS, ATTR_ARCH) and their feature bits. */
    private static final int[] FAT_BITS = {0x02, 0x04, 0x20};
    private static final long[] FAT_FEATURES = {0x2000L, 0x4000L, 0x8000L};

    /** The feature bits of FAT attributes ({@code ca_feature_flags_from_fat_attrs}). */
    public static long fromFatAttrs(int attributes) {
        return features(attributes, FAT_BITS, FAT_FEATURES);
    }

    /** The FAT attributes of feature bits ({@code ca_feature_flags_to_fat_attrs}). */
    public static int toFatAttrs(long flags) {
        return bits(flags, FAT_BITS, FAT_FEATURES);
    }

    /** The features {@code featureTable[i]} of the bits {@code bitTable[i]} set in {@code value}. */
    private static long features(int value, int[] bitTable, long[] featureTable) {
        long f = 0;
        for (int i = 0; i < bitTable.length; i++) {
            if ((value & bitTable[i]) != 0) {
                f |= featureTable[i];
            }
        }
        return f;
    }

    /** The bits {@code bitTable[i]} of the features {@code featureTable[i]} set in {@code flags}. */
    private static int bits(long flags, int[] bitTable, long[] featureTable) {
        int b = 0;
        for (int i = 0; i < bitTable.length; i++) {
            if ((flags & featureTable[i]) != 0) {
                b |= bitTable[i];
            }
        }
        return b;
    }

    /**
     * casync's {@code ca_feature_flags_normalize_mask}: adds every redundant bit a feature set implies, so that
     * masks can be intersected ({@code -1} stays "everything").
     */
    public static long expandMask(long mask) {
        if (mask == -1L) {
            return -1L;
        }
        mask &= MAX;
        if ((mask & NUMERIC_IDS) != 0) {
            mask |= NUMERIC_IDS;
        }
        if ((mask & TIME_BITS) != 0) {
            mask |= TIME_BITS;
        }
        if ((mask & WITH_PERMISSIONS) != 0) {
            mask |= WITH_READ_ONLY;
        }
        if ((mask & WITH_ACL) != 0) {
            mask |= WITH_PERMISSIONS | WITH_READ_ONLY;
        }
        if ((mask & WITH_SUBVOLUME_RO) != 0) {
            mask |= WITH_SUBVOLUME;
        }
        return mask;
    }

    /**
     * What a decoder restores ({@code ca_decoder_determine_replay_feature_flags}): the archive's features as far as
     * the user's mask ({@code --with}/{@code --without}; -1 for all) allows, normalized.
     */
    public static long replay(long archiveFlags, long userMask) {
        return normalize(expandMask(archiveFlags) & expandMask(userMask));
    }

    /** The user's mask for decoding: the {@code --with} bits (all when none) minus the {@code --without} bits. */
    public static long decodeMask(long with, long without) {
        if (with == 0 && without == 0) {
            return -1L;
        }
        return ((with == 0 ? WITH_MASK : with) & ~without) | (MAX & ~WITH_MASK);
    }
}
