package org.jcasync.cli;

import org.jcasync.location.Locations;
import org.jcasync.location.StoreStack;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * casync's remote side ({@code pull}, {@code push}): casync's remote arguments {@code BASE ARCHIVE INDEX WSTORE
 * [RSTORE...]} ("-" or empty for none) and the protocol on standard input and output. Standard output carries
 * only protocol frames: anything else printed goes to standard error.
 */
abstract class CasyncRemoteCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", paramLabel = "BASE", description = "Not supported: -")
    String base;

    @Parameters(index = "1", paramLabel = "ARCHIVE", description = "Archive file (.catar), or -")
    String archive;

    @Parameters(index = "2", paramLabel = "INDEX", description = "Index file (.caibx/.caidx), or -")
    String index;

    @Parameters(index = "3", paramLabel = "WSTORE", description = "Primary store, or -")
    String wstore;

    @Parameters(index = "4..*", paramLabel = "RSTORE", description = "Further stores")
    List<String> rstores = new ArrayList<>();

    /** Runs the session between {@code in} and {@code out}. */
    abstract void serve(InputStream in, OutputStream out) throws IOException;

    /** The verb, for messages. */
    abstract String verb();

    @Override
    public final Integer call() throws Exception {
        o.validate();
        if (given(base) != null) {
            throw new UserException(verb() + " from or to a base directory is not supported (casync neither)");
        }
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        serve(new FileInputStream(FileDescriptor.in), out);
        return 0;
    }

    /** {@code s}, or null for "-" or empty, as casync reads these arguments. */
    static String given(String s) {
        return s == null || s.isEmpty() || s.equals("-") ? null : s;
    }

    static Path path(String s) {
        String g = given(s);
        return g == null ? null : Locations.local(g);
    }

    /** The read stores: WSTORE (when given) then each RSTORE, through the store registry. */
    List<ChunkStore> openStores(boolean includeWstore) throws IOException {
        List<String> locations = new ArrayList<>();
        if (includeWstore && given(wstore) != null) {
            locations.add(wstore);
        }
        for (String r : rstores) {
            if (given(r) != null) {
                locations.add(r);
            }
        }
        return StoreStack.builder().transport(o.transport()).extraStores(locations).openEach(StoreOptions.DEFAULT);
    }
}
