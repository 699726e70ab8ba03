package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.UserDb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The uid or gid an archive's owner (or named ACL entry) gets in the target, as casync's decoder decides it: the
 * stored user or group name, looked up on this system, when the replay flags have user names; else the stored id,
 * taken modulo {@code --uid-range} and shifted by {@code --uid-shift}.
 */
final class IdMapper {
    private final long replay;
    private final long uidShift;
    private final long uidRange;
    private final Map<String, Long> uidByName = new HashMap<>();
    private final Map<String, Long> gidByName = new HashMap<>();

    /** Maps for the replay feature flags {@code replay} with the options' shift and range (0: none). */
    IdMapper(long replay, long uidShift, long uidRange) {
        this.replay = replay;
        this.uidShift = uidShift;
        this.uidRange = uidRange;
    }

    /** The owner's uid of {@code e}'s entry. */
    long uid(EntryContext e) throws IOException {
        return owner(e.entry().user(), e.entry().uid(), true, e.where());
    }

    /** The owner's gid of {@code e}'s entry. */
    long gid(EntryContext e) throws IOException {
        return owner(e.entry().group(), e.entry().gid(), false, e.where());
    }

    /** The uid ({@code user}) or gid of stored {@code name} (may be null) and {@code id}. */
    long owner(String name, long id, boolean user, String where) throws IOException {
        if ((replay & FeatureFlags.WITH_USER_NAMES) != 0 && name != null) {
            // NSS reads /etc/passwd and /etc/group on every lookup: ask once per name.
            long v = (user ? uidByName : gidByName).computeIfAbsent(name,
                    k -> user ? UserDb.uidOf(bytes(k)) : UserDb.gidOf(bytes(k)));
            if (v >= 0) {
                return v;
            }
        }
        if (uidRange != 0) {
            id %= uidRange;
        }
        long shifted = id + uidShift;
        if (shifted > 0xfffffffeL) {
            throw new IOException(where + ": " + (user ? "uid " : "gid ") + id + " shifted by " + uidShift
                    + " is out of range");
        }
        return shifted;
    }

    /**
     * The uid/gid of a named ACL entry ({@code ca_decoder_acl_add_user_entries}): a stored name wins when the replay
     * flags have user names or the archive stores no ids; an unknown name falls back to the stored id when there is
     * one, as for the owner. (Decimal names, which casync writes for unknown ids without numeric ids, are not valid
     * user names: the decoder refuses them, as casync's does.)
     */
    long aclId(EntryContext e, long id, byte[] name, boolean user) throws IOException {
        CatarEntry n = e.entry();
        String where = e.where();
        boolean ids = (n.featureFlags() & FeatureFlags.NUMERIC_IDS) != 0;
        if (name != null && ((replay & FeatureFlags.WITH_USER_NAMES) != 0 || !ids)) {
            long v = user ? UserDb.uidOf(name) : UserDb.gidOf(name);
            if (v >= 0) {
                return v;
            }
            if (!ids) {
                throw new IOException(where + ": unknown " + (user ? "user '" : "group '")
                        + new String(name, StandardCharsets.UTF_8) + "' in POSIX ACL");
            }
        }
        return owner(null, id, user, where);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
