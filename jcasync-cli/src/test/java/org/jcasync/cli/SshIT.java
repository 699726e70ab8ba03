package org.jcasync.cli;

import org.jcasync.ssh.LoopbackSshd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.ItFiles.random;

/**
 * Stores over ssh against a real OpenSSH server on 127.0.0.1: jcasync reading from the real casync's {@code pull}
 * (ssh://), the real casync reading from and pushing to {@code jcasync pull}/{@code push} (its host:path
 * locators), and sftp:// stores.
 */
class SshIT {
    @TempDir
    static Path work;
    static LoopbackSshd sshd;
    /** CASYNC_REMOTE_PATH for the far side to run jcasync. */
    static Path jcasyncRemote;
    static Path blob;
    static Path tree;
    /**
     * Files, directories and symlinks only: casync's own client cannot extract the rich tree from any ssh server
     * (it fails with "Operation not supported" against casync's server too).
     */
    static Path plainTree;

    @BeforeAll
    static void setUp() throws Exception {
        Tools.requireCasync();
        sshd = LoopbackSshd.start(Files.createDirectories(work.resolve("sshd")));
        jcasyncRemote = work.resolve("jcasync-remote");
        List<String> cmd = Tools.jcasyncCommand();
        StringBuilder script = new StringBuilder("#!/bin/sh\nexec");
        for (String c : cmd) {
            script.append(" '").append(c).append("'");
        }
        script.append(" \"$@\"\n");
        Files.writeString(jcasyncRemote, script);
        Files.setPosixFilePermissions(jcasyncRemote, PosixFilePermissions.fromString("rwxr-xr-x"));
        blob = work.resolve("blob.bin");
        byte[] b = random(71, 5 << 20);
        System.arraycopy(b, 0, b, 3 << 20, 1 << 20);
        Files.write(blob, b);
        tree = work.resolve("tree");
        RichTree.build(tree, true, false);
        plainTree = work.resolve("plain");
        Files.createDirectories(plainTree.resolve("dir/sub"));
        Files.write(plainTree.resolve("dir/sub/f"), random(73, 700_000));
        Files.write(plainTree.resolve("small"), "hello\n".getBytes());
        Files.createSymbolicLink(plainTree.resolve("link"), Path.of("dir/sub/f"));
    }

    @AfterAll
    static void tearDown() {
        if (sshd != null) {
            sshd.close();
        }
    }

    private static Map<String, String> env(boolean jcasyncOnRemote) {
        Map<String, String> e = new HashMap<>(sshd.clientEnvironment());
        if (jcasyncOnRemote) {
            e.put("CASYNC_REMOTE_PATH", jcasyncRemote.toString());
        }
        return e;
    }

    private static Tools.Result jcasync(boolean jcasyncOnRemote, String... args) throws Exception {
        return Tools.run(work, Tools.jcasyncCommand(args), null, env(jcasyncOnRemote));
    }

    private static Tools.Result casync(boolean jcasyncOnRemote, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("casync"));
        cmd.addAll(List.of(args));
        return Tools.run(work, cmd, null, env(jcasyncOnRemote));
    }

    private static String mtree(Path dir) throws Exception {
        return Tools.casync(work, "mtree", dir.toString()).ok().out();
    }

    @Test
    void jcasyncExtractsThroughSshFromTheRealCasync() throws Exception {
        Path d = Files.createDirectories(work.resolve("from-casync"));
        Tools.casync(work, "make", "--store=" + d.resolve("store"), d.resolve("blob.caibx").toString(),
                blob.toString()).ok();
        Tools.casync(work, "make", "--store=" + d.resolve("store"), d.resolve("tree.caidx").toString(),
                tree.toString()).ok();
        String url = "ssh://127.0.0.1" + d;
        Path out = d.resolve("blob.out");
        jcasync(false, "extract", "--store=" + url + "/store", url + "/blob.caibx", out.toString()).ok();
        assertSameBytes(blob, out);
        Path treeOut = d.resolve("tree.out");
        jcasync(false, "extract", "--store=" + url + "/store", url + "/tree.caidx", treeOut.toString()).ok();
        assertThat(mtree(treeOut)).isEqualTo(mtree(tree));
    }

    @Test
    void realCasyncExtractsFromJcasyncPull() throws Exception {
        Path d = Files.createDirectories(work.resolve("from-jcasync"));
        Tools.jcasync(work, "make", "--store=" + d.resolve("store"), d.resolve("blob.caibx").toString(),
                blob.toString()).ok();
        Tools.jcasync(work, "make", "--store=" + d.resolve("store"), d.resolve("tree.caidx").toString(),
                plainTree.toString()).ok();
        Path out = d.resolve("blob.out");
        casync(true, "extract", "--store=127.0.0.1:" + d.resolve("store"), "127.0.0.1:" + d.resolve("blob.caibx"),
                out.toString()).ok();
        assertSameBytes(blob, out);
        Path treeOut = d.resolve("tree.out");
        casync(true, "extract", "--store=127.0.0.1:" + d.resolve("store"), "127.0.0.1:" + d.resolve("tree.caidx"),
                treeOut.toString()).ok();
        assertThat(mtree(treeOut)).isEqualTo(mtree(plainTree));
        // jcasync's client against jcasync's server too.
        Path out2 = d.resolve("blob.out2");
        String url = "ssh://127.0.0.1" + d;
        jcasync(true, "extract", "--store=" + url + "/store", url + "/blob.caibx", out2.toString()).ok();
        assertSameBytes(blob, out2);
    }

    @Test
    void realCasyncMakePushesToJcasyncPush() throws Exception {
        Path d = Files.createDirectories(work.resolve("push"));
        Path store = Files.createDirectories(d.resolve("store"));
        casync(true, "make", "--store=127.0.0.1:" + store, "127.0.0.1:" + d.resolve("blob.caibx"),
                blob.toString()).ok();
        assertThat(chunkFiles(store)).isNotEmpty();
        // The same make into a local store gives the same index and the same chunk files.
        Path ref = Files.createDirectories(work.resolve("push-ref"));
        Tools.casync(work, "make", "--store=" + ref.resolve("store"), ref.resolve("blob.caibx").toString(),
                blob.toString()).ok();
        assertSameBytes(ref.resolve("blob.caibx"), d.resolve("blob.caibx"));
        assertThat(chunkFiles(store)).isEqualTo(chunkFiles(ref.resolve("store")));
        Path out = d.resolve("blob.out");
        Tools.casync(work, "extract", "--store=" + store, d.resolve("blob.caibx").toString(), out.toString()).ok();
        assertSameBytes(blob, out);
        // A second push of the same data finds every chunk there already.
        casync(true, "make", "--store=127.0.0.1:" + store, "127.0.0.1:" + d.resolve("again.caibx"),
                blob.toString()).ok();
        assertSameBytes(ref.resolve("blob.caibx"), d.resolve("again.caibx"));
    }

    @Test
    void corruptChunkServedByJcasyncPullIsRefusedByTheClient() throws Exception {
        Path d = Files.createDirectories(work.resolve("corrupt"));
        Path small = d.resolve("small.bin");
        Files.write(small, random(72, 300_000));
        Tools.jcasync(work, "make", "--store=" + d.resolve("store"), d.resolve("small.caibx").toString(),
                small.toString()).ok();
        List<String> ids = ItFiles.indexIds(d.resolve("small.caibx"));
        Path victim = ItFiles.chunkPath(d.resolve("store"), ids.get(1));
        Path other = ItFiles.chunkPath(d.resolve("store"), ids.get(0));
        Files.delete(victim);
        Files.copy(other, victim);
        String url = "ssh://127.0.0.1" + d;
        Path out = d.resolve("small.out");
        Tools.Result r = jcasync(true, "extract", "--store=" + url + "/store", url + "/small.caibx", out.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("chunk " + ids.get(1) + " in store " + url + "/store is corrupt")
                .doesNotContain("Exception");
        Files.delete(victim);
        r = jcasync(true, "extract", "--store=" + url + "/store", url + "/small.caibx", d.resolve("o2").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("chunk " + ids.get(1) + " is missing from store " + url + "/store");
    }

    @Test
    void sftpMakeExtractGcAndErrors() throws Exception {
        Path d = Files.createDirectories(work.resolve("sftp"));
        String url = "sftp://127.0.0.1" + d;
        jcasync(false, "make", "--store=" + url + "/store", url + "/blob.caibx", blob.toString()).ok();
        jcasync(false, "make", "--store=" + url + "/store", url + "/tree.caidx", tree.toString()).ok();
        // What was written is casync's layout: the real casync extracts it locally.
        Path out = d.resolve("blob.out");
        Tools.casync(work, "extract", "--store=" + d.resolve("store"), d.resolve("blob.caibx").toString(),
                out.toString()).ok();
        assertSameBytes(blob, out);
        Path out2 = d.resolve("blob.out2");
        jcasync(false, "extract", "--store=" + url + "/store", url + "/blob.caibx", out2.toString()).ok();
        assertSameBytes(blob, out2);
        Path treeOut = d.resolve("tree.out");
        jcasync(false, "extract", "--store=" + url + "/store", url + "/tree.caidx", treeOut.toString()).ok();
        assertThat(mtree(treeOut)).isEqualTo(mtree(tree));
        // gc keeps exactly the blob's chunks (without a grace period: the others were just made).
        int before = chunkFiles(d.resolve("store")).size();
        jcasync(false, "gc", "--grace=0", "--store=" + url + "/store", url + "/blob.caibx").ok();
        List<String> blobIds = ItFiles.indexIds(d.resolve("blob.caibx"));
        assertThat(chunkFiles(d.resolve("store"))).hasSize(new java.util.HashSet<>(blobIds).size())
                .hasSizeLessThan(before);
        Path out3 = d.resolve("blob.out3");
        jcasync(false, "extract", "--store=" + url + "/store", url + "/blob.caibx", out3.toString()).ok();
        assertSameBytes(blob, out3);
        // A corrupt chunk is refused, a missing one named.
        Path victim = ItFiles.chunkPath(d.resolve("store"), blobIds.get(2));
        Files.delete(victim);
        Files.copy(ItFiles.chunkPath(d.resolve("store"), blobIds.get(0)), victim);
        Tools.Result r = jcasync(false, "extract", "--store=" + url + "/store", url + "/blob.caibx",
                d.resolve("bad").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("chunk " + blobIds.get(2) + " in store " + url + "/store is corrupt");
        Files.delete(victim);
        r = jcasync(false, "extract", "--store=" + url + "/store", url + "/blob.caibx", d.resolve("bad2").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("chunk " + blobIds.get(2) + " is missing from store " + url + "/store");
        r = jcasync(false, "extract", "--store=" + url + "/store", url + "/nope.caibx", d.resolve("bad3").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("nope.caibx").doesNotContain("Exception");
    }
}
