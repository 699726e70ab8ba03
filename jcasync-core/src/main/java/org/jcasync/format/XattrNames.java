package org.jcasync.format;

import java.util.Arrays;

/**
 * The extended attributes casync's format deals with: which names an archive's XATTR records carry
 * ({@code ca_xattr_name_store}), the ones it stores in records of their own (capabilities, SELinux label, POSIX ACLs),
 * and the form of a SELinux label.
 */
public final class XattrNames {
    /** File capabilities, stored in an FCAPS record. */
    public static final String CAPABILITY = "security.capability";
    /** The SELinux label, stored in a SELINUX record. */
    public static final String SELINUX = "security.selinux";
    /** The access ACL, stored as ACL records. */
    public static final String ACL_ACCESS = "system.posix_acl_access";
    /** A directory's default ACL, stored as ACL_DEFAULT* records. */
    public static final String ACL_DEFAULT = "system.posix_acl_default";

    private static final byte[] USER_PREFIX = {'u', 's', 'e', 'r', '.'};
    private static final byte[] TRUSTED_PREFIX = {'t', 'r', 'u', 's', 't', 'e', 'd', '.'};

    private XattrNames() {
    }

    /**
     * casync's {@code ca_xattr_name_store}: whether an attribute of this name is one an archive's XATTR records
     * hold, i.e. a valid {@code ns.name} of at most 255 bytes in the {@code user.} or {@code trusted.} namespace.
     */
    public static boolean isStored(byte[] name) {
        int dot = -1;
        for (int i = 0; i < name.length; i++) {
            if (name[i] == '.') {
                dot = i;
                break;
            }
        }
        if (dot <= 0 || dot == name.length - 1 || name.length > 255) {
            return false;
        }
        return startsWith(name, USER_PREFIX) || startsWith(name, TRUSTED_PREFIX);
    }

    /**
     * What libselinux's {@code lgetfilecon}/{@code fgetfilecon} make of a {@code security.selinux} value, and so
     * what casync ({@code ca_encoder_node_read_selinux_label}) stores and compares: no label for a missing or empty
     * value, else the bytes before the first NUL (the kernel's labels end with one; casync writes its own).
     */
    public static byte[] selinuxLabel(byte[] value) {
        if (value == null || value.length == 0) {
            return null;
        }
        int end = 0;
        while (end < value.length && value[end] != 0) {
            end++;
        }
        return Arrays.copyOf(value, end);
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        return b.length >= prefix.length && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
    }
}
