package org.jcasync.catar;

/**
 * Shell-style matching of one file name against one pattern, as glibc's {@code fnmatch(pattern, name, FNM_PERIOD)}
 * behaves in the "C" locale (casync never calls {@code setlocale}, so its {@code .caexclude} patterns are matched
 * byte by byte).
 *
 * <ul>
 *   <li>{@code *} matches any run of bytes, {@code ?} any one byte, a backslash makes the next byte literal (a
 *       trailing backslash matches nothing).
 *   <li>{@code [...]} is a bracket expression: {@code !} or {@code ^} first negates it ({@code ^} not when
 *       {@code POSIXLY_CORRECT} is set), a {@code ]} first is literal, {@code a-z} ranges compare unsigned byte
 *       values, {@code [:class:]} names one of the twelve ASCII character classes, {@code [=c=]} and {@code [.c.]}
 *       stand for the single byte c. A {@code [} without its {@code ]} is usually a literal {@code [}; several
 *       malformed forms (unknown class, {@code [a-} at the end, {@code [.xy.]}) make the whole pattern fail, as in
 *       glibc.
 *   <li>A leading {@code .} of the name is matched only by a literal {@code .} (not by {@code *}, {@code ?} or a
 *       bracket expression); there is no special meaning of {@code /} (names have none).
 * </ul>
 *
 * <p>Verified against glibc 2.36 by differential testing; the control flow of the bracket parser follows the
 * documented glibc behaviour for malformed expressions, which is not POSIX's.
 */
final class Glob {
    /** glibc's CHARCLASS_NAME_MAX: a longer class name makes the pattern fail. */
    private static final int CLASS_NAME_MAX = 2048;
    /** What {@link #bracket} returns when the expression does not match or the pattern is malformed. */
    private static final int FAIL = -1;
    /** What {@link #bracket} returns when there is no closing bracket: the '[' is a literal. */
    private static final int UNTERMINATED = -2;

    private static final boolean CARET_NEGATES = System.getenv("POSIXLY_CORRECT") == null;

    private Glob() {
    }

    /** True when {@code name} (no NUL, no '/') matches {@code pattern} (no NUL). */
    static boolean matches(byte[] pattern, byte[] name) {
        if (name.length > 0 && name[0] == '.' && pattern.length > 0
                && (pattern[0] == '*' || pattern[0] == '?' || pattern[0] == '[')) {
            return false; // FNM_PERIOD: only a literal '.' matches a leading '.'
        }
        int p = 0;
        int s = 0;
        int starP = -1; // pattern index after the last '*' seen
        int starS = -1; // name index that '*' would extend next on backtracking
        while (true) {
            if (p < pattern.length) {
                int c = pattern[p] & 0xff;
                if (c == '*') {
                    while (p < pattern.length && (pattern[p] == '*' || pattern[p] == '?')) {
                        if (pattern[p] == '?') {
                            if (s == name.length) {
                                return false;
                            }
                            s++;
                        }
                        p++;
                    }
                    if (p == pattern.length) {
                        return true;
                    }
                    starP = p;
                    starS = s;
                    continue;
                }
                int next = step(pattern, p, name, s);
                if (next >= 0) {
                    p = next;
                    s++;
                    continue;
                }
            } else if (s == name.length) {
                return true;
            }
            // mismatch: let the last '*' swallow one more byte
            if (starP < 0 || starS >= name.length) {
                return false;
            }
            starS++;
            p = starP;
            s = starS;
        }
    }

    /**
     * Matches the single-byte element at {@code pattern[p]} (not '*') against {@code name[s]}: the pattern index
     * after it, or -1.
     */
    private static int step(byte[] pattern, int p, byte[] name, int s) {
        int c = pattern[p] & 0xff;
        if (s == name.length) {
            return -1;
        }
        int n = name[s] & 0xff;
        switch (c) {
            case '?' -> {
                return p + 1;
            }
            case '\\' -> {
                if (p + 1 == pattern.length) {
                    return -1;
                }
                return (pattern[p + 1] & 0xff) == n ? p + 2 : -1;
            }
            case '[' -> {
                int r = bracket(pattern, p + 1, n);
                if (r == UNTERMINATED) {
                    return n == '[' ? p + 1 : -1;
                }
                return r;
            }
            default -> {
                return c == n ? p + 1 : -1;
            }
        }
    }

    private static int at(byte[] b, int i) {
        return i < b.length ? b[i] & 0xff : 0;
    }

    /**
     * A bracket expression whose body starts at {@code p} (just after '[') against byte {@code n}: the pattern index
     * after its ']' when it matches, {@link #FAIL}, or {@link #UNTERMINATED}.
     */
    private static int bracket(byte[] pat, int p, int n) {
        boolean negated = at(pat, p) == '!' || CARET_NEGATES && at(pat, p) == '^';
        if (negated) {
            p++;
        }
        int c = at(pat, p++); // the element being looked at; p is just past it
        boolean matched = false;
        elements:
        while (true) {
            boolean ordinary;
            if (c == '\\') {
                if (at(pat, p) == 0) {
                    return FAIL;
                }
                c = at(pat, p++);
                ordinary = true;
            } else if (c == '[' && at(pat, p) == ':') {
                int start = p;
                StringBuilder name = new StringBuilder();
                boolean wellFormed = true;
                while (true) {
                    if (name.length() == CLASS_NAME_MAX) {
                        return FAIL;
                    }
                    int x = at(pat, ++p);
                    if (x == ':' && at(pat, p + 1) == ']') {
                        p += 2;
                        break;
                    }
                    if (x < 'a' || x >= 'z') {
                        wellFormed = false;
                        break;
                    }
                    name.append((char) x);
                }
                if (wellFormed) {
                    int k = classOf(name.toString());
                    if (k < 0) {
                        return FAIL;
                    }
                    if (inClass(k, n)) {
                        matched = true;
                        break;
                    }
                    c = at(pat, p++);
                    ordinary = false;
                } else {
                    p = start;
                    c = '[';
                    ordinary = true;
                }
            } else if (c == '[' && at(pat, p) == '=') {
                int x = at(pat, p + 1);
                if (x != 0 && at(pat, p + 2) == '=' && at(pat, p + 3) == ']') {
                    p += 4;
                    if (n == x) {
                        matched = true;
                        break;
                    }
                    c = at(pat, p++);
                    ordinary = false;
                } else {
                    c = '[';
                    ordinary = true;
                }
            } else if (c == 0) {
                return UNTERMINATED;
            } else if (c == '[' && at(pat, p) == '.') {
                int sym = collatingSymbol(pat, p);
                if (sym < 0) {
                    return FAIL;
                }
                p += 4; // ".x.]"
                boolean range = at(pat, p) == '-' && at(pat, p + 1) != 0;
                if (!range && n == sym) {
                    matched = true;
                    break;
                }
                int r = rangeAfter(pat, p, sym, n);
                if (r == FAIL) {
                    return FAIL;
                }
                if (r >= 0) {
                    p = r;
                    matched = true;
                    break;
                }
                p = -r - 3;
                c = at(pat, p++);
                ordinary = false;
            } else {
                ordinary = true;
            }
            if (ordinary) {
                boolean range = at(pat, p) == '-' && at(pat, p + 1) != 0 && at(pat, p + 1) != ']';
                if (!range && c == n) {
                    matched = true;
                    break;
                }
                int r = rangeAfter(pat, p, c, n);
                if (r == FAIL) {
                    return FAIL;
                }
                if (r >= 0) {
                    p = r;
                    matched = true;
                    break;
                }
                p = -r - 3;
                c = at(pat, p++);
            }
            if (c == ']') {
                break elements;
            }
        }
        if (!matched) {
            return negated ? p : FAIL;
        }
        int end = skipRest(pat, p);
        return end == UNTERMINATED || !negated ? end : FAIL;
    }

    /**
     * The byte of the collating symbol {@code [.x.]} whose '.' is at {@code p}, or -1 when it is malformed (glibc
     * then fails the whole pattern; in the C locale only single-byte symbols exist).
     */
    private static int collatingSymbol(byte[] pat, int p) {
        int len = 0;
        int q = p;
        while (true) {
            int x = at(pat, ++q);
            if (x == '.' && at(pat, q + 1) == ']') {
                break;
            }
            if (x == 0) {
                return -1;
            }
            len++;
        }
        return len == 1 ? at(pat, p + 1) : -1;
    }

    /**
     * After an element with byte {@code low} that did not match by itself, {@code p} being just past it: handles a
     * following {@code -high} range. Returns the index after the range when {@code n} lies in it, {@link #FAIL} for a
     * malformed range, or {@code -(q + 3)} where {@code q} is the index of the next element (after the range, or
     * {@code p} when there is none).
     */
    private static int rangeAfter(byte[] pat, int p, int low, int n) {
        if (at(pat, p) != '-' || at(pat, p + 1) == ']') {
            return -(p + 3);
        }
        int q = p + 1;
        int high = at(pat, q++);
        if (high == '[' && at(pat, q) == '.') {
            int sym = collatingSymbol(pat, q);
            if (sym < 0) {
                return FAIL;
            }
            high = sym;
            q += 4;
        } else {
            if (high == '\\') {
                high = at(pat, q++);
            }
            if (high == 0) {
                return FAIL;
            }
        }
        if (low <= n && n <= high) {
            return q;
        }
        return -(q + 3);
    }

    /**
     * After a match inside the expression: the index after its ']', {@link #UNTERMINATED} when there is none, or
     * {@link #FAIL} for some malformed elements on the way.
     */
    private static int skipRest(byte[] pat, int p) {
        while (true) {
            int c = at(pat, p++);
            if (c == ']') {
                return p;
            }
            if (c == 0) {
                return UNTERMINATED;
            }
            if (c == '\\') {
                if (at(pat, p) == 0) {
                    return FAIL;
                }
                p++;
            } else if (c == '[' && at(pat, p) == ':') {
                int start = p;
                int len = 0;
                while (true) {
                    int x = at(pat, ++p);
                    if (++len == CLASS_NAME_MAX) {
                        return FAIL;
                    }
                    if (x == ':' && at(pat, p + 1) == ']') {
                        break;
                    }
                    if (x < 'a' || x >= 'z') {
                        p = start - 2;
                        break;
                    }
                }
                p += 2;
            } else if (c == '[' && at(pat, p) == '=') {
                if (at(pat, ++p) == 0) {
                    return FAIL;
                }
                if (at(pat, ++p) != '=' || at(pat, p + 1) != ']') {
                    return FAIL;
                }
                p += 2;
            } else if (c == '[' && at(pat, p) == '.') {
                while (true) {
                    int x = at(pat, ++p);
                    if (x == 0) {
                        return FAIL;
                    }
                    if (x == '.' && at(pat, p + 1) == ']') {
                        break;
                    }
                }
                p += 2;
            }
        }
    }

    private static final String[] CLASSES = {"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print",
        "punct", "space", "upper", "xdigit"};

    private static int classOf(String name) {
        for (int i = 0; i < CLASSES.length; i++) {
            if (CLASSES[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The C locale's ctype classes: ASCII only. */
    private static boolean inClass(int k, int b) {
        boolean upper = b >= 'A' && b <= 'Z';
        boolean lower = b >= 'a' && b <= 'z';
        boolean digit = b >= '0' && b <= '9';
        boolean graph = b > 0x20 && b < 0x7f;
        return switch (CLASSES[k]) {
            case "alnum" -> upper || lower || digit;
            case "alpha" -> upper || lower;
            case "blank" -> b == ' ' || b == '\t';
            case "cntrl" -> b < 0x20 || b == 0x7f;
            case "digit" -> digit;
            case "graph" -> graph;
            case "lower" -> lower;
            case "print" -> graph || b == ' ';
            case "punct" -> graph && !(upper || lower || digit);
            case "space" -> b == ' ' || b >= '\t' && b <= '\r';
            case "upper" -> upper;
            default -> digit || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F';
        };
    }
}
