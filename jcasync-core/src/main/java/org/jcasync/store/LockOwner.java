package org.jcasync.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Who holds a store lock, as written in its lock file: the command, the host name (for messages), the machine
 * (kernel boot and PID namespace: processes with the same machine see each other's PIDs), the PID and the start time
 * of the process (so a PID used again by another process is not taken for the holder).
 *
 * @param command the verb holding the lock ("make", "gc", ...)
 * @param host the host name, for messages
 * @param machine boot id and PID namespace, empty when unknown
 * @param pid the process id
 * @param started when the process started, null when unknown
 * @param since when the lock was taken, by the store's clock (the lock file's first time); null when unknown
 */
record LockOwner(String command, String host, String machine, long pid, Instant started, Instant since) {
    private static final String MAGIC = "jcasync store lock";
    /** Longest lock file read: a lock file is a few lines; anything longer is not one of ours. */
    static final int MAX_BYTES = 4096;

    /** This process. */
    static LockOwner current(String command) {
        ProcessHandle self = ProcessHandle.current();
        return new LockOwner(command, hostName(), thisMachine(), self.pid(),
                self.info().startInstant().orElse(null), null);
    }

    /** This owner, holding the lock since {@code time} (the store's). */
    LockOwner since(Instant time) {
        return new LockOwner(command, host, machine, pid, started, time);
    }

    /** The lock file's content. */
    byte[] toBytes(StoreLock.Mode mode) {
        return (MAGIC + "\nmode: " + mode.name().toLowerCase(java.util.Locale.ROOT) + "\ncommand: " + command
                + "\nhost: " + host + "\nmachine: " + machine + "\npid: " + pid + "\nprocess-start: "
                + (started == null ? "" : started) + "\n" + (since == null ? "" : "since: " + since + "\n"))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** What a lock file says, or null when it is not a jcasync lock file (then only its age tells). */
    static LockOwner parse(byte[] content) {
        if (content == null || content.length > MAX_BYTES) {
            return null;
        }
        String[] lines = new String(content, StandardCharsets.UTF_8).split("\n");
        if (lines.length < 7 || !lines[0].equals(MAGIC)) {
            return null;
        }
        try {
            String start = value(lines[6], "process-start");
            Instant since = lines.length > 7 ? Instant.parse(value(lines[7], "since")) : null;
            return new LockOwner(printable(value(lines[2], "command")), printable(value(lines[3], "host")),
                    value(lines[4], "machine"), Long.parseLong(value(lines[5], "pid")),
                    start.isEmpty() ? null : Instant.parse(start), since);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return null;
        }
    }

    private static String value(String line, String key) {
        if (!line.startsWith(key + ": ")) {
            throw new IllegalArgumentException("expected " + key);
        }
        return line.substring(key.length() + 2);
    }

    /** {@code s} without control characters and at most 64 of them: lock files come from others, and are printed. */
    private static String printable(String s) {
        String clean = s.replaceAll("[\\p{Cntrl}]", "?");
        return clean.length() > 64 ? clean.substring(0, 64) + "…" : clean;
    }

    /**
     * Whether the owner is certainly gone: a process of this machine that no longer runs (or whose PID another
     * process now has). Owners on other machines are never known to be dead (their lock's age tells).
     */
    boolean knownDead() {
        String here = thisMachine();
        if (machine.isEmpty() || !machine.equals(here)) {
            return false;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) {
            return true;
        }
        Optional<Instant> start = p.get().info().startInstant();
        return started != null && start.isPresent()
                && Duration.between(started, start.get()).abs().compareTo(Duration.ofSeconds(1)) > 0;
    }

    /** For messages: "gc (pid 1234 on host h)". */
    String describe() {
        return command + " (pid " + pid + " on " + host + ")";
    }

    private static String machineId;

    /**
     * This machine for PIDs: the kernel's boot id and this process's PID namespace, empty when either is unknown
     * (then no lock is judged by its PID).
     */
    private static synchronized String thisMachine() {
        if (machineId == null) {
            try {
                String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
                String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
                machineId = boot + "/" + ns;
            } catch (IOException | UnsupportedOperationException e) {
                machineId = "";
            }
        }
        return machineId;
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h != null ? h : "unknown host";
        }
    }
}
