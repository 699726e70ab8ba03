package org.jcasync.store;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TransferReportTest {
    final List<StoreStats> stores = List.of(new StoreStats("/c", 10, 500_000, 10, 0, 0, StoreStats.Role.CACHE),
            new StoreStats("http://h/s", 20, 1_000_000, 22, 2, 0), new StoreStats("/idle", 0, 0, 0, 0, 0));

    @Test
    void totalsLeaveTheCacheOut() {
        TransferReport r = new TransferReport(stores, 10_000_000, 2_000_000, 2.0);
        assertThat(r.requests()).isEqualTo(22);
        assertThat(r.bytesDownloaded()).isEqualTo(1_000_000);
        assertThat(r.retries()).isEqualTo(2);
        assertThat(r.bytesPerSecond()).isEqualTo(500_000);
        // Downloaded chunks compressed 2:1, so a full download would be 5 MB; 1 MB was downloaded: 80% saved.
        assertThat(r.savedPercent()).isCloseTo(80.0, within(1e-9));
    }

    @Test
    void summaryNamesEachStoreThatDidSomething() {
        String s = new TransferReport(stores, 10_000_000, 2_000_000, 2.0).summary();
        assertThat(s).startsWith("cache /c: 10 chunks, 488.3 KiB in 10 requests; http://h/s: 20 chunks, 976.6 KiB in "
                + "22 requests, 2 retries; 976.6 KiB downloaded in 22 requests (488.3 KiB/s), 80.0% saved versus a "
                + "full download, 2.00 s");
        assertThat(s).doesNotContain("/idle");
    }

    @Test
    void theCacheIsKnownByItsRoleNotItsName() {
        // A store whose location merely starts with "cache " is a store like any other.
        TransferReport r = new TransferReport(List.of(new StoreStats("cache server/s", 5, 1000, 5, 0, 0),
                new StoreStats("/c", 7, 3000, 7, 0, 0, StoreStats.Role.CACHE)), 10_000, 1000, 1.0);
        assertThat(r.requests()).isEqualTo(5);
        assertThat(r.bytesDownloaded()).isEqualTo(1000);
        assertThat(r.summary()).startsWith("cache server/s: 5 chunks, 1000 B in 5 requests; cache /c: 7 chunks");
        assertThat(r.jsonMembers()).startsWith("\"stores\":[{\"location\":\"cache server/s\",\"chunks\":5,");
        assertThat(r.jsonMembers()).contains("{\"location\":\"cache /c\",\"chunks\":7,");
    }

    @Test
    void nothingDownloadedIsAllSavedAndEmptyOutputToo() {
        assertThat(new TransferReport(List.of(), 1000, 0, 1).savedPercent()).isEqualTo(100);
        assertThat(new TransferReport(List.of(), 0, 0, 0).savedPercent()).isEqualTo(100);
        // Everything fetched uncompressed and nothing else there: nothing saved.
        assertThat(new TransferReport(List.of(new StoreStats("s", 1, 1000, 1, 0, 0)), 1000, 1000, 1).savedPercent())
                .isZero();
    }

    @Test
    void jsonMembersAreAddedToAnObject() {
        TransferReport r = new TransferReport(List.of(new StoreStats("a\"b", 1, 2, 3, 0, 0)), 10, 5, 0.5);
        assertThat(r.addTo("{\"x\":1}")).isEqualTo("{\"x\":1,\"stores\":[{\"location\":\"a\\\"b\",\"chunks\":1,"
                + "\"bytes\":2,\"requests\":3,\"retries\":0,\"errors\":0}],\"requests\":3,\"bytes-downloaded\":2,"
                + "\"retries\":0,\"bytes-per-second\":4,\"saved-versus-full-download-percent\":50.00,"
                + "\"wall-seconds\":0.500}");
        assertThat(r.addTo("{}")).startsWith("{\"stores\":[");
    }
}
