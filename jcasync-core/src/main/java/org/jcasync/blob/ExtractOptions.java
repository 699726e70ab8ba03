package org.jcasync.blob;

/**
 * Choices for an extract, named after casync's options.
 *
 * @param punchHoles leave zero runs as holes ({@code --punch-holes})
 * @param reflink clone seed ranges where the file system allows ({@code --reflink})
 * @param inPlace write into the existing output instead of a temp file (always for block devices)
 * @param seedOutput use the existing output as a seed ({@code --seed-output})
 * @param threads worker threads
 */
public record ExtractOptions(boolean punchHoles, boolean reflink, boolean inPlace, boolean seedOutput, int threads) {
    /** casync's defaults with one worker per core. */
    public static ExtractOptions defaults() {
        return new ExtractOptions(true, true, false, true, Runtime.getRuntime().availableProcessors());
    }
}
