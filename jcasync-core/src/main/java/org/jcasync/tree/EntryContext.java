package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;

/**
 * One archive entry being applied to the target, as the parts of an extraction share it: the open directory it goes
 * in, its name there, what the archive says about it, and its path for messages.
 *
 * @param dir   the directory holding the entry (null for the target directory itself)
 * @param name  the entry's name in {@code dir}, one validated path component
 * @param entry the archive's entry (null for a directory that only holds an extracted sub-tree)
 * @param where the entry's path, named in messages
 */
record EntryContext(ExtractDir dir, byte[] name, CatarEntry entry, String where) {
    /** The descriptor of the directory holding the entry. */
    int dirFd() {
        return dir.fd;
    }
}
