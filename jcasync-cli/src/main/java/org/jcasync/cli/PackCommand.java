package org.jcasync.cli;

import org.jcasync.io.ByteSizes;
import org.jcasync.location.Locations;
import org.jcasync.pack.Packer;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreLock;
import org.jcasync.store.StoreOptions;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code pack INDEX...}: add packs and chunk maps to a store (casync-made ones too) without chunking again. */
@Command(name = "pack", sortOptions = false, usageHelpWidth = 100,
        description = {"Pack the chunks of indexes into a new pack with chunk maps, for fetches in few requests.",
                "The chunks of the given indexes that no pack of the store holds yet go into one new pack",
                "(<store>/packs/<id>.capack, in index order, with its table <id>.capidx), and each index gets its",
                "chunk map INDEX.camap, so clients fetch what they lack in a few range requests. Loose chunks",
                "stay (casync and desync read them) unless --packs=only. The store is --store, else",
                "default.castr beside the first index. Give the indexes oldest first: each version's new",
                "chunks then sit together."})
final class PackCommand extends StoreMaintenanceCommand {
    @Override
    void run(String storeLoc) throws IOException {
        String mode = o.packs == null ? "yes" : o.packs;
        if (!mode.equals("yes") && !mode.equals("only")) {
            throw new UserException("pack takes --packs=yes (default) or only");
        }
        LocalStore store = new LocalStore(Locations.local(storeLoc), StoreOptions.DEFAULT);
        List<Packer.IndexFile> files = new ArrayList<>();
        for (String i : indexes) {
            files.add(Packer.IndexFile.read(Locations.local(i)));
        }
        Packer.PackResult r;
        try (StoreLock lock = StoreLock.forWriting(store, "pack", Main::message)) {
            r = pack(store, files);
        }
        boolean only = mode.equals("only");
        report(r, only, only ? removeLoose(store, files) : 0);
    }

    /** Packs what {@code indexes} need into {@code store} and writes their maps; the caller holds a writer's lock. */
    static Packer.PackResult pack(LocalStore store, List<Packer.IndexFile> indexes) throws IOException {
        return new Packer(store).pack(indexes, false);
    }

    /**
     * Removes the loose copies of the chunks of {@code indexes} that packs hold (a packed-only store), holding the
     * store's lock as a collector: a writer reusing a loose chunk meanwhile would lose it.
     */
    static long removeLoose(LocalStore store, List<Packer.IndexFile> indexes) throws IOException {
        try (StoreLock lock = StoreLock.forCollecting(store, "pack", false, Main::message)) {
            return new Packer(store).removeLoose(indexes);
        }
    }

    /** The one-line report on stderr. */
    static void report(Packer.PackResult r, boolean packedOnly, long looseRemoved) {
        System.err.println("jcasync: pack: " + (r.pack() == null ? "every chunk was packed already"
                : r.chunks() + " chunks (" + ByteSizes.format(r.bytes()) + ") into pack " + r.pack().pack())
                + "; " + r.maps().size() + " chunk map" + (r.maps().size() == 1 ? "" : "s") + " written"
                + (packedOnly ? "; " + looseRemoved + " loose chunks removed" : ""));
    }
}
