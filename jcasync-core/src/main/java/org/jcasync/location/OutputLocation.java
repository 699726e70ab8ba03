package org.jcasync.location;

import org.jcasync.io.AtomicFile;
import org.jcasync.io.IoErrors;
import org.jcasync.store.StoreRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A file written to its location as a whole or not at all: a local file through a temp file renamed over it once
 * complete, a remote one (URL of any scheme the stack's registry knows) made in memory and uploaded in one request.
 */
public final class OutputLocation {
    /** Produces the file's content into a stream, and a result. */
    @FunctionalInterface
    public interface Producer<T> {
        /** Writes the content to {@code out}. */
        T write(OutputStream out) throws IOException;
    }

    private OutputLocation() {
    }

    /**
     * Writes what {@code producer} produces to {@code location}; on failure nothing is left behind (a remote file
     * is not uploaded, a local temp file is removed). Bare I/O errors say what was being done.
     */
    public static <T> T write(String location, StoreStack stores, Producer<T> producer) throws IOException {
        if (StoreRegistry.isRemote(location)) {
            // Indexes are small: made in memory, then uploaded in one piece (never half-written).
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            T result = producer.write(buf);
            try {
                stores.registry().writeFile(location, buf.toByteArray(), stores.transport());
            } catch (IOException e) {
                throw IoErrors.withContext(e, "uploading " + location);
            }
            return result;
        }
        try (AtomicFile af = AtomicFile.create(Locations.local(location))) {
            T result;
            try (OutputStream os = af.outputStream()) {
                result = producer.write(os);
            }
            af.commit();
            return result;
        } catch (IOException e) {
            throw IoErrors.withContext(e, "making " + location);
        }
    }
}
