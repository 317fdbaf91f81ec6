package io.keel.chunk.device;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Reads and writes the two superblock copies of a device. */
final class SuperblockCopies {

    /** What both copies hold, and where copy B was looked for. */
    record Found(SuperblockCodec.Decoded a, SuperblockCodec.Decoded b, long bOffset) {
    }

    private SuperblockCopies() {
    }

    /**
     * Reads copy A, then copy B where copy A says it is. When copy A is not valid, copy B is looked
     * for in the device's last sector and, failing that, where copy A's (damaged) B-offset field
     * points, which finds it on a device that grew since it was formatted. A copy B is accepted only
     * if it records the offset it was found at.
     */
    static Found read(BlockDevice device) throws IOException {
        byte[] rawA = readRaw(device, 0);
        SuperblockCodec.Decoded a = SuperblockCodec.decode(rawA, Superblock.COPY_A);
        long last = device.size() - SuperblockCodec.BYTES;
        if (a instanceof SuperblockCodec.Valid(Superblock sb)) {
            long offset = sb.layout().superblockBOffset();
            return new Found(a, readB(device, offset), offset);
        }
        SuperblockCodec.Decoded b = readB(device, last);
        long hinted = ByteBuffer.wrap(rawA).getLong(SuperblockCodec.OFF_SUPERBLOCK_B);
        if (!(b instanceof SuperblockCodec.Valid) && !(a instanceof SuperblockCodec.Blank) && hinted != last
                && hinted % SuperblockCodec.BYTES == 0 && hinted >= SuperblockCodec.BYTES && hinted < last) {
            SuperblockCodec.Decoded there = readB(device, hinted);
            if (there instanceof SuperblockCodec.Valid) {
                return new Found(a, there, hinted);
            }
        }
        return new Found(a, b, last);
    }

    private static SuperblockCodec.Decoded readB(BlockDevice device, long offset) throws IOException {
        if (offset < SuperblockCodec.BYTES || offset > device.size() - SuperblockCodec.BYTES) {
            return new SuperblockCodec.Damaged("copy B at offset " + offset + " lies outside the device of "
                    + device.size() + " bytes");
        }
        SuperblockCodec.Decoded b = SuperblockCodec.decode(readRaw(device, offset), Superblock.COPY_B);
        if (b instanceof SuperblockCodec.Valid(Superblock sb) && sb.layout().superblockBOffset() != offset) {
            return new SuperblockCodec.Damaged("copy B found at offset " + offset + " records offset "
                    + sb.layout().superblockBOffset());
        }
        return b;
    }

    private static byte[] readRaw(BlockDevice device, long offset) throws IOException {
        ByteBuffer buffer = AlignedBuffers.allocate(SuperblockCodec.BYTES);
        device.read(offset, buffer);
        byte[] bytes = new byte[SuperblockCodec.BYTES];
        buffer.flip().get(bytes);
        return bytes;
    }

    /** Writes {@code superblock} at its copy's offset (not flushed). */
    static void write(BlockDevice device, Superblock superblock) throws IOException {
        ByteBuffer buffer = AlignedBuffers.allocate(SuperblockCodec.BYTES);
        buffer.put(SuperblockCodec.encode(superblock)).flip();
        device.write(superblock.offset(), buffer);
    }

    static String describe(SuperblockCodec.Decoded copy) {
        return switch (copy) {
            case SuperblockCodec.Valid(Superblock sb) -> "valid (generation " + sb.generation() + ", " + sb.identity()
                    + ")";
            case SuperblockCodec.Blank() -> "no Keel magic";
            case SuperblockCodec.Damaged(String problem) -> "damaged: " + problem;
            case SuperblockCodec.Newer(int version) -> "written by device format version " + version;
        };
    }
}
