package org.jcasync.cli;

import org.jcasync.location.Locations;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code gc} and {@code pack} {@code INDEX...}: maintenance of a store given the indexes that use it, the store
 * being {@code --store}, else casync's default beside the first index ({@link Locations#defaultStore}).
 */
abstract class StoreMaintenanceCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(arity = "1..*", paramLabel = "INDEX")
    List<String> indexes;

    /** Does the verb's work on the store at {@code storeLocation}; the options are valid by then. */
    abstract void run(String storeLocation) throws Exception;

    @Override
    public final Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        run(Locations.defaultStore(o.store(), indexes.get(0)));
        return 0;
    }
}
