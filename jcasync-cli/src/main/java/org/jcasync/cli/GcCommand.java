package org.jcasync.cli;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.store.PrunableChunkStore;
import org.jcasync.store.PrunableChunkStore.PruneResult;
import org.jcasync.store.StoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code gc INDEX...}: remove the chunks of the store that none of the indexes uses. */
@Command(name = "gc", sortOptions = false, usageHelpWidth = 100,
        description = {"Remove the chunks of a store that none of the given indexes references.",
                "The store is --store, else default.castr beside the first index. -n/--dry-run only counts;",
                "-v lists each chunk."})
final class GcCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(arity = "1..*", paramLabel = "INDEX")
    List<String> indexes;

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        String storeLoc = Locations.defaultStore(o.store, indexes.get(0));
        Set<ChunkId> used = new HashSet<>();
        long refs = 0;
        for (String loc : indexes) {
            Index idx = Stores.readIndex(o, loc);
            for (int i = 0; i < idx.size(); i++) {
                used.add(idx.id(i));
            }
            refs += idx.size();
        }
        if (o.verbose) {
            System.out.println("Chunk store usage: " + refs + " references, " + used.size() + " chunks");
        }
        if (!(Stores.registry().openWritable(storeLoc, StoreOptions.DEFAULT, o.transport())
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
        return 0;
    }
}
