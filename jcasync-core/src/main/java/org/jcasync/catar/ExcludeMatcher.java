package org.jcasync.catar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The exclusion rules in force in one directory, from the {@code .caexclude} files of it and its ancestors, with the
 * semantics of casync 2 ({@code src/camatch.c}, {@code ca_encoder_shall_store_child_node}).
 *
 * <p>A {@code .caexclude} file is read as lines ending at '\n' or NUL. Spaces and tabs around a line are dropped (a
 * '\r' is not); empty lines and lines starting with '#' are ignored; a line of 64 KiB or more makes the file invalid.
 * Every other line is a rule:
 * <ul>
 *   <li>A leading {@code !} makes it a "keep" rule: a matching entry is not excluded, whatever other rules (also from
 *       files further up) say. Otherwise a matching entry is excluded.
 *   <li>The rest is a path of glob components ({@link Glob}: {@code *}, {@code ?}, {@code [...]}, backslash; a
 *       leading '.' of a name is matched only literally) separated by '/'. Leading slashes and repeated slashes do
 *       not count; an empty component (a line of only slashes, or only "!"), "." or ".." makes the file invalid.
 *   <li>A line without any '/' applies to the entries of this directory and, inherited, of every directory below
 *       it. A line with a '/' anywhere (even only leading or trailing) is anchored: its first component matches
 *       entries of this directory only, its second entries of the directories the first matched, and so on.
 *   <li>A component followed by a '/' matches directories only; so the inner components of a path always do.
 * </ul>
 * An excluded directory is not descended into (its own {@code .caexclude} never read). The {@code .caexclude} file
 * itself is archived unless a rule matches it (which needs a literal leading '.'). A file whose rules are all
 * comments adds nothing.
 *
 * <p>Instances are immutable; {@link #NONE} has no rules.
 */
final class ExcludeMatcher {
    /** The name of the files casync reads the rules from. */
    static final String FILE_NAME = ".caexclude";
    /** No rules: nothing is excluded. */
    static final ExcludeMatcher NONE = new ExcludeMatcher(List.of());
    /** casync's LARGE_LINE_MAX: a line of this many bytes (or more) fails {@code read_line}. */
    static final int LINE_MAX = 64 * 1024;

    private enum Kind {
        EXCLUDE, KEEP, INNER
    }

    /**
     * One component of a rule: matched against entry names with {@code glob}; an INNER rule matches nothing itself
     * but hands {@code below} to the directories it matches.
     */
    private record Rule(Kind kind, byte[] glob, boolean anchored, boolean directoryOnly, List<Rule> below) {
    }

    /** What {@link #test} decided for one entry. */
    record Verdict(boolean excluded, ExcludeMatcher below) {
    }

    private final List<Rule> rules;

    private ExcludeMatcher(List<Rule> rules) {
        this.rules = rules;
    }

    /** True when there are no rules. */
    boolean isEmpty() {
        return rules.isEmpty();
    }

    /** The rules of a {@code .caexclude} file; an IOException with the line number for an invalid one. */
    static ExcludeMatcher parse(InputStream in) throws IOException {
        List<Rule> rules = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int lineNo = 1;
        boolean any = false;
        int r;
        while ((r = in.read(buf)) > 0) {
            for (int i = 0; i < r; i++) {
                byte b = buf[i];
                if (b == '\n' || b == 0) {
                    addLine(rules, line.toByteArray(), lineNo++);
                    line.reset();
                    any = false;
                } else {
                    if (line.size() >= LINE_MAX - 1) {
                        throw new IOException("line " + lineNo + " is longer than " + (LINE_MAX - 1) + " bytes");
                    }
                    line.write(b);
                    any = true;
                }
            }
        }
        if (any) {
            addLine(rules, line.toByteArray(), lineNo);
        }
        return rules.isEmpty() ? NONE : new ExcludeMatcher(List.copyOf(rules));
    }

    /** The rules of a {@code .caexclude} file given as bytes. */
    static ExcludeMatcher parse(byte[] content) throws IOException {
        return parse(new java.io.ByteArrayInputStream(content));
    }

    private static void addLine(List<Rule> rules, byte[] raw, int lineNo) throws IOException {
        int from = 0;
        int to = raw.length;
        while (from < to && (raw[from] == ' ' || raw[from] == '\t')) {
            from++;
        }
        while (to > from && (raw[to - 1] == ' ' || raw[to - 1] == '\t')) {
            to--;
        }
        if (from == to || raw[from] == '#') {
            return;
        }
        Kind kind = Kind.EXCLUDE;
        if (raw[from] == '!') {
            kind = Kind.KEEP;
            from++;
        }
        boolean anchored = false;
        for (int i = from; i < to; i++) {
            if (raw[i] == '/') {
                anchored = true;
                break;
            }
        }
        List<byte[]> components = new ArrayList<>();
        List<Boolean> directoryOnly = new ArrayList<>();
        int i = from;
        while (i < to && raw[i] == '/') {
            i++;
        }
        do {
            int start = i;
            while (i < to && raw[i] != '/') {
                i++;
            }
            byte[] c = Arrays.copyOfRange(raw, start, i);
            if (c.length == 0 || c.length == 1 && c[0] == '.' || c.length == 2 && c[0] == '.' && c[1] == '.') {
                throw new IOException("line " + lineNo + ": invalid pattern (empty, \".\" or \"..\" component)");
            }
            components.add(c);
            directoryOnly.add(i < to);
            while (i < to && raw[i] == '/') {
                i++;
            }
        } while (i < to);
        int last = components.size() - 1;
        Rule rule = new Rule(kind, components.get(last), anchored, directoryOnly.get(last), List.of());
        for (int k = last - 1; k >= 0; k--) {
            rule = new Rule(Kind.INNER, components.get(k), anchored, true, List.of(rule));
        }
        rules.add(rule);
    }

    /** These rules followed by {@code more} (a directory's own file after the inherited rules). */
    ExcludeMatcher with(ExcludeMatcher more) {
        if (more.rules.isEmpty()) {
            return this;
        }
        if (rules.isEmpty()) {
            return more;
        }
        List<Rule> all = new ArrayList<>(rules.size() + more.rules.size());
        all.addAll(rules);
        all.addAll(more.rules);
        return new ExcludeMatcher(List.copyOf(all));
    }

    /**
     * Whether the entry {@code name} of this directory is excluded, and (for a directory) the rules it inherits: the
     * unanchored rules, and what follows the path components it matched.
     */
    Verdict test(byte[] name, boolean directory) {
        boolean exclude = false;
        boolean keep = false;
        List<Rule> below = null;
        for (Rule r : rules) {
            if (directory && !r.anchored()) {
                below = add(below, List.of(r));
            }
            if (r.directoryOnly() && !directory || !Glob.matches(r.glob(), name)) {
                continue;
            }
            switch (r.kind()) {
                case EXCLUDE -> exclude = true;
                case KEEP -> keep = true;
                case INNER -> below = add(below, r.below());
            }
        }
        return new Verdict(exclude && !keep, below == null ? NONE : new ExcludeMatcher(List.copyOf(below)));
    }

    private static List<Rule> add(List<Rule> to, List<Rule> rules) {
        List<Rule> l = to == null ? new ArrayList<>() : to;
        l.addAll(rules);
        return l;
    }
}
