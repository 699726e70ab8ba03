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
import org.jcasync.store.PrunableChunkStore.PruneResult;
import org.jcasync.store.StoreOptions;
import picocli.CommandLine.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code gc INDEX...}: remove the chunks of the store that none of the indexes uses. */
@Command(name = "gc", sortOptions = false, usageHelpWidth = 100,
        description = {"Remove the chunks of a store that none of the given indexes references.",
                "The store is --store, else default.castr beside the first index. -n/--dry-run only counts;",
                "-v lists each chunk."})
final class GcCommand extends StoreMaintenanceCommand {
    @Override
    void run(String storeLoc) throws Exception {
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
        if (!(stores.registry().openWritable(storeLoc, StoreOptions.DEFAULT, o.transport())
                instanceof PrunableChunkStore store)) {
            throw new UserException("cannot garbage-collect " + storeLoc + ": its kind of store cannot list chunks");
        }
        PruneResult r = store.prune(used::contains, o.dryRun, o.verbose
                ? f -> System.out.println((o.dryRun ? "Would remove" : "Removing") + " chunk " + f + ".") : null);
        if (o.dryRun) {
            System.out.println("Would remove " + r.removed() + " chunks, " + r.remaining() + " chunks remaining.");
        } else if (o.verbose) {
            System.out.println("Removed " + r.removed() + " chunks, " + r.directories() + " directories, "
                    + r.remaining() + " chunks remaining.");
        }
        if (store instanceof LocalStore local && Files.isDirectory(local.root().resolve(PackId.DIRECTORY))) {
            prunePacks(local, used);
        }
    }

    /**
     * Packs: one with no chunk in use is removed, one with less than half in use is rewritten with only those; the
     * chunk maps of the given indexes are rewritten to match.
     */
    private void prunePacks(LocalStore store, Set<ChunkId> used) throws java.io.IOException {
        Packer packer = new Packer(store);
        List<Packer.IndexFile> live = new java.util.ArrayList<>();
        for (String loc : indexes) {
            Path p = Locations.local(loc);
            if (Files.exists(p.resolveSibling(p.getFileName() + ChunkMap.SUFFIX))) {
                live.add(Packer.IndexFile.read(p));
            }
        }
        Packer.PackPruneResult r = packer.prune(used::contains, live, 0.5, o.dryRun);
        if (o.dryRun || o.verbose) {
            System.out.println((o.dryRun ? "Would remove " : "Removed ") + r.removed() + " packs, "
                    + (o.dryRun ? "would rewrite " : "rewrote ") + r.rewritten() + " packs, " + r.kept()
                    + " packs kept, " + ByteSizes.format(r.bytesFreed()) + " freed.");
        }
    }
}
