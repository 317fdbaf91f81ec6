package io.keel.access.iscsi.pdu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Encodes PDUs onto a channel (the wire encoding: header, AHS, header digest, data segment padded
 * to 4 bytes, data digest; CRC32C, RFC 7143 §13.1) and writes what was added in as few system
 * calls as it can. Headers, padding, digests and data segments that fit are packed into one direct
 * staging buffer; a direct data segment (a READ's buffer) and an array segment too large for the
 * room left go to the channel as they are, in one gathering write with the staged bytes around
 * them, so read data is not copied on its way to the socket. Not thread-safe: one writer at a time.
 */
public final class PduWriter {

    /** Room for the fixed parts of one PDU: header, the largest AHS, two digests and padding. */
    private static final int FIXED_PARTS = Pdu.BHS_LENGTH + PduCodec.MAX_AHS + 4 + 3 + 4;
    private static final int MAX_PARTS = 64;
    private static final byte[] PADDING = new byte[3];

    private final WritableByteChannel channel;
    private final ByteBuffer staging;
    private final ByteBuffer[] parts = new ByteBuffer[MAX_PARTS];
    private int partCount;
    /** Where the staged bytes not yet listed as a part begin. */
    private int stagedFrom;

    /** A writer onto {@code channel} staging up to {@code stagingBytes} (at least 4 KiB) per system call. */
    public PduWriter(final WritableByteChannel channel, final int stagingBytes) {
        this.channel = channel;
        this.staging = ByteBuffer.allocateDirect(Math.max(stagingBytes, 4096)).order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * Adds {@code pdu} (its lengths are set from its segments first). It may be written at once
     * when the staging buffer is full, or only by the next {@link #flush}; its data segment must not
     * change until then.
     */
    public void add(final Pdu pdu, final boolean headerDigest, final boolean dataDigest) throws IOException {
        pdu.updateLengths();
        ByteBuffer data = pdu.dataBuffer();
        int length = data.remaining();
        int padding = ((length + 3) & ~3) - length;
        if (staging.remaining() < FIXED_PARTS || partCount >= MAX_PARTS - 2) {
            flush();
        }
        staging.put(pdu.bhs()).put(pdu.ahs());
        if (headerDigest) {
            CRC32C crc = new CRC32C();
            crc.update(pdu.bhs());
            crc.update(pdu.ahs());
            staging.putInt(PduCodec.digestValue(crc));
        }
        if (length == 0) {
            return;
        }
        if (!data.isDirect() && length <= staging.remaining() - (padding + 4)) {
            staging.put(data.duplicate());
        } else {
            listStaged();
            parts[partCount++] = data.duplicate();
        }
        staging.put(PADDING, 0, padding);
        if (dataDigest) {
            CRC32C crc = new CRC32C();
            crc.update(data);
            crc.update(PADDING, 0, padding);
            staging.putInt(PduCodec.digestValue(crc));
        }
    }

    /**
     * Whether {@code pdus} can be added without {@link #add} writing to the channel first (it writes
     * when the staging buffer runs short). Counts every array data segment as staged, so it may say no
     * where {@link #add} would have listed a large segment as a part of its own.
     */
    public boolean hasRoomFor(final List<Pdu> pdus) {
        long staged = 0;
        for (Pdu pdu : pdus) {
            ByteBuffer data = pdu.dataBuffer();
            staged += FIXED_PARTS + (data.isDirect() ? 0 : data.remaining());
        }
        return staged <= staging.remaining() && partCount + 2L * pdus.size() < MAX_PARTS - 2;
    }

    /** True when something added is not written yet (after {@link #flushNow} found the channel full). */
    public boolean hasUnwritten() {
        return partCount > 0 || staging.position() > stagedFrom;
    }

    /**
     * Writes what was added as far as {@code now} takes it without waiting; true once all of it is
     * written. Otherwise the rest stays, in order, for the next {@link #flush} (or {@code flushNow}),
     * and more PDUs may still be added behind it. Writes nothing when an array data segment is a part of
     * its own ({@code now} passes only direct memory to the system).
     */
    public boolean flushNow(final ImmediateWrite now) throws IOException {
        listStaged();
        int first = 0;
        while (first < partCount && !parts[first].hasRemaining()) {
            first++;
        }
        for (int i = first; i < partCount; i++) {
            if (!parts[i].isDirect()) {
                return false;
            }
        }
        while (first < partCount) {
            if (now.writeNow(parts, first, partCount - first) == 0) {
                return false;
            }
            while (first < partCount && !parts[first].hasRemaining()) {
                first++;
            }
        }
        reset();
        return true;
    }

    /** Writes everything added so far; returns once the channel took all of it. */
    public void flush() throws IOException {
        listStaged();
        try {
            if (channel instanceof GatheringByteChannel gathering) {
                for (int first = 0; first < partCount;) {
                    gathering.write(parts, first, partCount - first);
                    while (first < partCount && !parts[first].hasRemaining()) {
                        first++;
                    }
                }
            } else {
                for (int i = 0; i < partCount; i++) {
                    while (parts[i].hasRemaining()) {
                        channel.write(parts[i]);
                    }
                }
            }
        } finally {
            reset();
        }
    }

    /** Drops whatever was added and not written (the connection failed): nothing of it is touched again. */
    public void discard() {
        reset();
    }

    private void reset() {
        java.util.Arrays.fill(parts, 0, partCount, null);
        partCount = 0;
        staging.clear();
        stagedFrom = 0;
    }

    /** A socket write that takes only what the socket has room for now, never waiting for more. */
    @FunctionalInterface
    public interface ImmediateWrite {
        /**
         * Writes from {@code count} buffers starting at {@code parts[first]}, all direct, as much as
         * fits now, advancing their positions; returns the bytes written, 0 when none fit.
         */
        long writeNow(ByteBuffer[] parts, int first, int count) throws IOException;
    }

    /** Lists the bytes staged since the last part as a part of their own, so parts stay in order. */
    private void listStaged() {
        int end = staging.position();
        if (end > stagedFrom) {
            parts[partCount++] = staging.slice(stagedFrom, end - stagedFrom);
            stagedFrom = end;
        }
    }
}
