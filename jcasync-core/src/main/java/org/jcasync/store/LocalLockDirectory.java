package org.jcasync.store;

import org.jcasync.io.AtomicFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The lock directory of a local store: {@code <store>/locks/}. */
final class LocalLockDirectory implements LockDirectory {
    private final Path root;
    private final Path dir;

    LocalLockDirectory(Path storeRoot) {
        this.root = storeRoot;
        this.dir = storeRoot.resolve(NAME);
    }

    @Override
    public boolean create(String name, byte[] content) throws IOException {
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            // as it should be
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(root.toString(), null, "store directory not found");
        } catch (FileSystemException e) {
            throw new AccessDeniedException(dir.toString(), null, "cannot create the lock directory: "
                    + (e.getReason() != null ? e.getReason() : "permission denied"));
        }
        Path tmp = dir.resolve(".#" + name + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
        try {
            try {
                Files.write(tmp, content);
            } catch (AccessDeniedException | NoSuchFileException e) {
                throw e;
            } catch (FileSystemException e) {
                throw new AccessDeniedException(dir.toString(), null, "cannot create a lock file: " + e.getReason());
            }
            // link(2) publishes the whole file at once and never replaces one.
            Files.createLink(dir.resolve(name), tmp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void createStore() throws IOException {
        Files.createDirectories(root);
    }

    @Override
    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.lock")) {
            for (Path p : s) {
                Instant t = modified(p.getFileName().toString());
                if (t != null) {
                    out.add(new Entry(p.getFileName().toString(), t));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return out;
    }

    @Override
    public byte[] read(String name, int max) throws IOException {
        try (InputStream in = Files.newInputStream(dir.resolve(name))) {
            return in.readNBytes(max + 1);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void rewrite(String name, byte[] content) throws IOException {
        try (AtomicFile f = AtomicFile.create(dir.resolve(name))) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                f.channel().write(b);
            }
            f.commit();
        }
    }

    @Override
    public Instant modified(String name) throws IOException {
        try {
            return Files.getLastModifiedTime(dir.resolve(name)).toInstant();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public String location() {
        return dir.toString();
    }
}
