package org.jcasync.store;

/**
 * A store that keeps lock files ({@link StoreLock}): local directories and SFTP. Stores without (S3, HTTP) rely on
 * gc's grace period and on writers freshening the chunks they reuse.
 */
public interface LockableStore {
    /** The store's lock directory. */
    LockDirectory lockDirectory();
}
