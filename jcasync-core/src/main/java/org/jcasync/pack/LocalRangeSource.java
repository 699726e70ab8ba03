package org.jcasync.pack;

import org.jcasync.io.RegularFile;
import org.jcasync.store.StoreStats;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Ranges of files under a local store directory, read with positional reads (regular files only: {@link RegularFile}). */
public final class LocalRangeSource implements RangeSource {
    private final Path root;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    /** Files under {@code root}. */
    public LocalRangeSource(Path root) {
        this.root = root;
    }

    @Override
    public void read(String path, List<Range> ranges, Sink sink) throws IOException {
        Path file = root.resolve(path);
        try (RegularFile f = RegularFile.open(file)) {
            for (int i = 0; i < ranges.size(); i++) {
                Range r = ranges.get(i);
                byte[] b = new byte[r.length()];
                if (!f.readFully(b, 0, b.length, r.start())) {
                    throw new EOFException(file + ": ends before byte " + r.end());
                }
                requests.incrementAndGet();
                bytes.addAndGet(r.length());
                sink.accept(i, b);
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "pack not found");
        }
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(root + " (packs)", 0, bytes.get(), requests.get(), 0, 0));
    }

    @Override
    public void close() {
    }
}
