package org.jcasync.blob;

import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A seed: an existing blob whose chunks may be reused. When {@code <seed>.caibx} lies beside it, was written after
 * the seed last changed, matches its size and was made with the target's chunk sizes and digest, its chunk table is
 * used instead of chunking the seed; every chunk taken from it is still verified by its digest.
 */
final class SeedSource implements AutoCloseable {
    final BlobSource blob;
    final Index index;
    final String name;

    private SeedSource(BlobSource blob, Index index, String name) {
        this.blob = blob;
        this.index = index;
        this.name = name;
    }

    static SeedSource open(Path path, Index target) throws IOException {
        BlobSource b = BlobSource.open(path);
        Index idx = null;
        Path caibx = path.resolveSibling(path.getFileName() + ".caibx");
        try {
            if (Files.isRegularFile(caibx) && Files.isRegularFile(path)
                    && Files.getLastModifiedTime(caibx).compareTo(Files.getLastModifiedTime(path)) >= 0) {
                Index i = IndexReader.read(caibx);
                if (i.length() == b.size() && i.params().equals(target.params())
                        && i.digest() == target.digest()) {
                    idx = i;
                }
            }
        } catch (IOException e) {
            idx = null;
        }
        return new SeedSource(b, idx, path.toString());
    }

    @Override
    public void close() throws IOException {
        blob.close();
    }
}
