package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.jcasync.format.FeatureFlags;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jcasync.tree.TreeParts.FLAGS;
import static org.jcasync.tree.TreeParts.REPLAY;
import static org.jcasync.tree.TreeParts.bytes;

/** {@link IdMapper}: names looked up where the replay flags have them, ids shifted and taken modulo the range. */
class IdMapperTest {
    static final long IDS_ONLY = FeatureFlags.replay(FLAGS, ~FeatureFlags.WITH_USER_NAMES);

    @Test
    void storedNamesWinWhenReplayedElseTheIdIsUsed() throws IOException {
        IdMapper names = new IdMapper(REPLAY, 0, 0);
        assertThat(names.owner("root", 1234, true, "x")).isZero();
        assertThat(names.owner("root", 1234, false, "x")).isZero();
        // an unknown name falls back to the stored id
        assertThat(names.owner("no-such-user-here", 1234, true, "x")).isEqualTo(1234);
        assertThat(names.owner(null, 77, false, "x")).isEqualTo(77);
        IdMapper ids = new IdMapper(IDS_ONLY, 0, 0);
        assertThat(ids.owner("root", 1234, true, "x")).isEqualTo(1234);
    }

    @Test
    void idsAreTakenModuloTheRangeThenShifted() throws IOException {
        IdMapper m = new IdMapper(IDS_ONLY, 100_000, 65536);
        assertThat(m.owner(null, 5, true, "x")).isEqualTo(100_005);
        assertThat(m.owner(null, 65536 + 7, false, "x")).isEqualTo(100_007);
        assertThatThrownBy(() -> new IdMapper(IDS_ONLY, 0xfffffff0L, 0).owner(null, 20, true, "/t/f"))
                .isInstanceOf(IOException.class)
                .hasMessage("/t/f: uid 20 shifted by 4294967280 is out of range");
    }

    @Test
    void entryOwnersComeFromTheContext() throws IOException {
        CatarEntry n = new CatarEntry(bytes("f"), bytes("f"), 2, 0, FLAGS, 0100644, 0, 3, 4, 0, "root", null,
                List.of(), List.of(), null, null, -1, null, -1, -1, 0, new byte[0]);
        EntryContext e = new EntryContext(null, bytes("f"), n, "/t/f");
        IdMapper m = new IdMapper(REPLAY, 10, 0);
        assertThat(m.uid(e)).isZero();
        assertThat(m.gid(e)).isEqualTo(14);
    }

    @Test
    void aclNamesWithoutStoredIdsMustExist() throws IOException {
        long namesOnly = FeatureFlags.normalize(FLAGS & ~FeatureFlags.NUMERIC_IDS);
        CatarEntry n = new CatarEntry(bytes("f"), bytes("f"), 2, 0, namesOnly, 0100644, 0, 0, 0, 0, null, null,
                List.of(), List.of(), null, null, -1, null, -1, -1, 0, new byte[0]);
        IdMapper m = new IdMapper(FeatureFlags.replay(namesOnly, -1), 0, 0);
        EntryContext e = new EntryContext(null, bytes("f"), n, "/t/f");
        assertThat(m.aclId(e, 0, bytes("root"), true)).isZero();
        assertThatThrownBy(() -> m.aclId(e, 0, bytes("no-such-group-here"), false))
                .isInstanceOf(IOException.class)
                .hasMessage("/t/f: unknown group 'no-such-group-here' in POSIX ACL");
        // with stored ids an unknown name falls back to the id
        EntryContext withIds = new EntryContext(null, bytes("f"), TreeParts.file("f", 0644, 0), "/t/f");
        assertThat(new IdMapper(REPLAY, 0, 0).aclId(withIds, 42, bytes("no-such-group-here"), false)).isEqualTo(42);
    }
}
