package org.jcasync.cli;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.io.ByteSizes;
import org.jcasync.location.Locations;
import org.jcasync.location.StoreStack;
import org.jcasync.pack.ChunkMap;
import org.jcasync.pack.PackId;
import org.jcasync.pack.Packer;
import org.jcasync.store.LocalStore;
import org.jcasync.store.PrunableChunkStore;
import org.jcasync.store.PrunableChunkStore.PruneListener;
import org.jcasync.store.PrunableChunkStore.PruneResult;
import org.jcasync.store.StoreLock;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.WritableChunkStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code gc INDEX...}: remove the chunks of the store that none of the indexes uses. */
@Command(name = "gc", sortOptions = false, usageHelpWidth = 80,
        description = {"Remove the chunks of a store that none of the given indexes references.",
                "The store is --store, else default.castr beside the first index.",
                "-n/--dry-run only counts; -v lists each chunk. Chunks (and packs) written",
                "or reused by a make within the grace period are kept: a make running",
                "meanwhile may need them. A local or sftp:// store is locked: gc waits",
                "for the makes and packs writing to it, and they wait for gc."})
final class GcCommand extends StoreMaintenanceCommand {
    @Option(names = "--grace", paramLabel = "DURATION", converter = GraceDuration.class,
            description = {"Keep unused chunks and packs younger than this",
                    "(default: 1h; e.g. 30m, 2d; 0: none)"})
    Duration grace = PrunableChunkStore.DEFAULT_GRACE;

    @Override
    void run(String storeLoc) throws Exception {
        WritableChunkStore opened = o.stores().registry().openWritable(storeLoc, StoreOptions.DEFAULT, o.transport());
        if (!(opened instanceof PrunableChunkStore store)) {
            opened.close();
            throw new UserException("cannot garbage-collect " + storeLoc + ": its kind of store cannot list chunks");
        }
        try (store; StoreLock lock = StoreLock.forCollecting(store, "gc", o.dryRun, Main::message)) {
            // Read under the lock: a make that was rewriting one of the indexes has finished.
            Set<ChunkId> used = used();
            Instant keepSince = keepSince(lock);
            PruneResult r = store.prune(used::contains, keepSince, o.dryRun, listener());
            String young = " younger than " + GraceDuration.format(grace) + ".";
            if (o.dryRun) {
                System.out.println("Would remove " + r.removed() + " chunks, " + r.remaining() + " chunks remaining.");
                if (r.young() > 0) {
                    System.out.println("Would keep " + r.young() + " unused chunks" + young);
                }
            } else if (o.verbose) {
                System.out.println("Removed " + r.removed() + " chunks, " + r.directories() + " directories, "
                        + r.remaining() + " chunks remaining.");
                if (r.young() > 0) {
                    System.out.println("Kept " + r.young() + " unused chunks" + young);
                }
            }
            if (store instanceof LocalStore local && Files.isDirectory(local.root().resolve(PackId.DIRECTORY))) {
                prunePacks(local, used, keepSince);
            }
        }
    }

    /**
     * Chunks and packs at or after this time are kept: the grace period before gc asked for the lock (when its index
     * list was made), and, when gc waited for writers, all they may rely on (their indexes are not in the list, and
     * may exist by now) whatever the grace period. Null: no time keeps anything.
     */
    private Instant keepSince(StoreLock lock) {
        Instant since = grace.isZero() ? null : lock.requestedAt().minus(grace);
        if (lock.writersSince() != null) {
            Instant writers = lock.writersSince().minus(WritableChunkStore.FRESH_FOR);
            since = since == null || writers.isBefore(since) ? writers : since;
        }
        return since;
    }

    /** The chunks the indexes use; with -v, casync's line about them. */
    private Set<ChunkId> used() throws IOException {
        StoreStack stores = o.stores();
        Set<ChunkId> used = new HashSet<>();
        long refs = 0;
        for (String loc : indexes) {
            Index idx = stores.readIndex(loc).index();
            for (int i = 0; i < idx.size(); i++) {
                used.add(idx.id(i));
            }
            refs += idx.size();
        }
        if (o.verbose) {
            System.out.println("Chunk store usage: " + refs + " references, " + used.size() + " chunks");
        }
        return used;
    }

    /** With -v: casync's line per chunk removed, and one per unused chunk kept for its age. */
    private PruneListener listener() {
        if (!o.verbose) {
            return null;
        }
        String young = " (younger than " + GraceDuration.format(grace) + ").";
        return new PruneListener() {
            @Override
            public void removing(String file) {
                System.out.println((o.dryRun ? "Would remove" : "Removing") + " chunk " + file + ".");
            }

            @Override
            public void keepingYoung(String file) {
                System.out.println((o.dryRun ? "Would keep" : "Keeping") + " chunk " + file + young);
            }
        };
    }

    /**
     * Packs: one with no chunk in use is removed, one with less than half in use is rewritten with only those; the
     * chunk maps of the given indexes are rewritten to match. Packs younger than the grace period stay as they are.
     */
    private void prunePacks(LocalStore store, Set<ChunkId> used, Instant keepSince) throws IOException {
        Packer packer = new Packer(store);
        List<Packer.IndexFile> live = new ArrayList<>();
        for (String loc : indexes) {
            Path p = Locations.local(loc);
            if (Files.exists(p.resolveSibling(p.getFileName() + ChunkMap.SUFFIX))) {
                live.add(Packer.IndexFile.read(p));
            }
        }
        Packer.PackPruneResult r = packer.prune(used::contains, live, 0.5, keepSince, o.dryRun);
        if (o.dryRun || o.verbose) {
            System.out.println((o.dryRun ? "Would remove " : "Removed ") + r.removed() + " packs, "
                    + (o.dryRun ? "would rewrite " : "rewrote ") + r.rewritten() + " packs, " + r.kept()
                    + " packs kept" + (r.young() > 0 ? " (and " + r.young() + " younger than "
                    + GraceDuration.format(grace) + ")" : "") + ", " + ByteSizes.format(r.bytesFreed()) + " freed.");
        }
    }
}
