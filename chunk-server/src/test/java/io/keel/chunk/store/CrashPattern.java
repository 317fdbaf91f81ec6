package io.keel.chunk.store;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The data the crash test writes: every sector names the write that put it there (write id and
 * extent offset in its first 24 bytes) and the rest is derived from both, so a verifier can tell
 * from a sector alone which write it holds and whether it holds it exactly.
 */
final class CrashPattern {

    static final long MAGIC = 0x4B45454C43524153L; // "KEELCRAS"
    static final int SECTOR = 4096;

    private CrashPattern() {
    }

    /** Fills {@code sectors} sectors of data for write {@code writeId} at extent offset {@code offset}. */
    static ByteBuffer data(final long extentId, final long writeId, final long offset, final int sectors) {
        ByteBuffer data = ByteBuffer.allocate(sectors * SECTOR);
        for (int i = 0; i < sectors; i++) {
            fillSector(data, i * SECTOR, extentId, writeId, offset + (long) i * SECTOR);
        }
        return data;
    }

    static void fillSector(final ByteBuffer target, final int at, final long extentId, final long writeId,
            final long offset) {
        target.putLong(at, MAGIC).putLong(at + 8, writeId).putLong(at + 16, offset);
        SplittableRandom random = new SplittableRandom(writeId * 0x9E3779B97F4A7C15L ^ offset ^ extentId << 40);
        for (int i = 24; i < SECTOR; i += 8) {
            target.putLong(at + i, random.nextLong());
        }
    }

    /** The write id a sector holds: 0 for a never-written (all-zero) sector, -1 for garbage. */
    static long identify(final ByteBuffer sector, final int at, final long extentId, final long offset) {
        boolean zero = true;
        for (int i = 0; i < SECTOR && zero; i += 8) {
            zero = sector.getLong(at + i) == 0;
        }
        if (zero) {
            return 0;
        }
        if (sector.getLong(at) != MAGIC || sector.getLong(at + 16) != offset) {
            return -1;
        }
        long writeId = sector.getLong(at + 8);
        ByteBuffer expected = ByteBuffer.allocate(SECTOR);
        fillSector(expected, 0, extentId, writeId, offset);
        return sector.slice(at, SECTOR).equals(expected) ? writeId : -1;
    }
}
