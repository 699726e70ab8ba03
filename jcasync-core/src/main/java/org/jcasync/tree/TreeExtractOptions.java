package org.jcasync.tree;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@link TreeExtractor} applies an archive to a directory.
 *
 * @param featureMask   the features to restore ({@code --with}/{@code --without}), -1 for all the archive has
 * @param delete        remove what the archive does not list ({@code --delete}, casync's default yes)
 * @param undoImmutable clear chattr +i/+a on files that must be replaced or removed ({@code --undo-immutable})
 * @param hardlink      hard-link a seed file whose content and metadata equal the archive's ({@code --hardlink})
 * @param reflink       clone seed file contents instead of copying them where the file system can
 *                      ({@code --reflink})
 * @param punchHoles    leave 4 KiB blocks of zeros as holes in written files ({@code --punch-holes})
 * @param uidShift      added to stored uids/gids ({@code --uid-shift}); 0 for none
 * @param uidRange      stored uids/gids are taken modulo this first ({@code --uid-range}); 0 for none
 * @param seeds         directories whose files, at the same relative path, supply contents ({@code --seed})
 * @param seedOutput    compare with and keep what the target already has ({@code --seed-output}); when false
 *                      every file is written anew
 */
public record TreeExtractOptions(long featureMask, boolean delete, boolean undoImmutable, boolean hardlink,
                                 boolean reflink, boolean punchHoles, long uidShift, long uidRange, List<Path> seeds,
                                 boolean seedOutput) {
    public TreeExtractOptions {
        seeds = List.copyOf(seeds);
    }

    /** casync's defaults: everything restored, delete, reflink, punch holes, the target as seed. */
    public static TreeExtractOptions defaults() {
        return new TreeExtractOptions(-1L, true, false, false, true, true, 0, 0, List.of(), true);
    }
}
