package org.jcasync.catar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Hostile variants of a valid archive for tests: flipped bits, records deleted, duplicated, swapped, retyped or
 * resized, plausible records inserted, fields set to edge values, truncation. One to three mutations each.
 */
public final class ArchiveMutator {
    private static final long[] TYPES = {CatarFormat.ENTRY, CatarFormat.USER, CatarFormat.GROUP, CatarFormat.XATTR,
        CatarFormat.ACL_USER, CatarFormat.ACL_GROUP, CatarFormat.ACL_GROUP_OBJ, CatarFormat.ACL_DEFAULT,
        CatarFormat.ACL_DEFAULT_USER, CatarFormat.ACL_DEFAULT_GROUP, CatarFormat.SELINUX, CatarFormat.FCAPS,
        CatarFormat.QUOTA_PROJID, CatarFormat.SYMLINK, CatarFormat.DEVICE, CatarFormat.PAYLOAD, CatarFormat.FILENAME,
        CatarFormat.GOODBYE, 0x1234};

    private ArchiveMutator() {
    }

    /** A mutated copy of {@code archive}. */
    public static byte[] mutate(byte[] archive, Random r) {
        byte[] a = archive.clone();
        int k = 1 + r.nextInt(3);
        for (int m = 0; m < k; m++) {
            a = mutateOnce(a, r);
        }
        return a;
    }

    private static byte[] mutateOnce(byte[] a, Random r) {
        List<int[]> recs = records(a);
        int op = r.nextInt(9);
        if (recs.isEmpty() || op == 0) {
            if (a.length > 0) {
                a[r.nextInt(a.length)] ^= (byte) (1 << r.nextInt(8));
            }
            return a;
        }
        int i = r.nextInt(recs.size());
        int at = recs.get(i)[0];
        int size = recs.get(i)[1];
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        switch (op) {
            case 1 -> { // delete the record
                o.write(a, 0, at);
                o.write(a, at + size, a.length - at - size);
            }
            case 2 -> { // duplicate it
                o.write(a, 0, at + size);
                o.write(a, at, a.length - at);
            }
            case 3 -> { // swap it with the next
                if (i + 1 == recs.size()) {
                    return a;
                }
                int[] next = recs.get(i + 1);
                o.write(a, 0, at);
                o.write(a, next[0], next[1]);
                o.write(a, at, size);
                o.write(a, next[0] + next[1], a.length - next[0] - next[1]);
            }
            case 4 -> {
                return Arrays.copyOf(a, r.nextInt(a.length + 1));
            }
            case 5 -> { // insert a plausible record before it
                o.write(a, 0, at);
                o.writeBytes(synthetic(r));
                o.write(a, at, a.length - at);
            }
            case 6 -> { // an edge value in one of its fields
                int off = at + 16 + 8 * r.nextInt(Math.max(1, (size - 16) / 8));
                if (size > 16 && off + 8 <= a.length) {
                    long[] values = {0, -1, 1, 0xffff, 0xffffffffL, 0777, 040755, 0100644, 0120777, 0x20000,
                        r.nextLong(), 1L << 40, 6, 8};
                    CatarFormat.putLe64(a, off, values[r.nextInt(values.length)]);
                }
                return a;
            }
            case 7 -> {
                CatarFormat.putLe64(a, at + 8, TYPES[r.nextInt(TYPES.length)]);
                return a;
            }
            default -> {
                long[] sizes = {0, 8, 15, 16, 17, 18, 24, 32, 40, 48, 64, size + 1, size - 1, -1, 1L << 62, 100_000};
                CatarFormat.putLe64(a, at, sizes[r.nextInt(sizes.length)]);
                return a;
            }
        }
        return o.toByteArray();
    }

    /** {offset, size} of the records of {@code a}, front to back, as far as their sizes are sane. */
    private static List<int[]> records(byte[] a) {
        List<int[]> out = new ArrayList<>();
        int p = 0;
        while (p + 16 <= a.length) {
            long size = CatarFormat.le64(a, p);
            if (size < 16 || p + size > a.length) {
                break;
            }
            out.add(new int[] {p, (int) size});
            p += (int) size;
        }
        return out;
    }

    private static byte[] synthetic(Random r) {
        long type = TYPES[r.nextInt(TYPES.length)];
        byte[] body = switch (r.nextInt(6)) {
            case 0 -> "user.zz\0val".getBytes(StandardCharsets.ISO_8859_1);
            case 1 -> "bin\0".getBytes(StandardCharsets.ISO_8859_1);
            case 2 -> {
                byte[] b = new byte[r.nextBoolean() ? 16 : 20];
                CatarFormat.putLe64(b, 0, r.nextInt(5));
                CatarFormat.putLe64(b, 8, r.nextInt(9));
                if (b.length > 16) {
                    System.arraycopy("bin\0".getBytes(StandardCharsets.ISO_8859_1), 0, b, 16, 4);
                }
                yield b;
            }
            case 3 -> {
                byte[] b = new byte[r.nextInt(4) * 8];
                for (int i = 0; i < b.length; i += 8) {
                    CatarFormat.putLe64(b, i, r.nextInt(3) == 0 ? -1 : r.nextInt(8));
                }
                yield b;
            }
            case 4 -> "lbl\0".getBytes(StandardCharsets.ISO_8859_1);
            default -> {
                byte[] b = new byte[r.nextInt(50)];
                r.nextBytes(b);
                yield b;
            }
        };
        byte[] rec = new byte[16 + body.length];
        CatarFormat.putLe64(rec, 0, rec.length);
        CatarFormat.putLe64(rec, 8, type);
        System.arraycopy(body, 0, rec, 16, body.length);
        return rec;
    }
}
