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
     * Reads copy A, then copy B where copy A says it is, or in the device's last sector when copy A
     * is not usable. A copy B beyond the end of the device (it shrank) counts as damaged.
     */
    static Found read(BlockDevice device) throws IOException {
        SuperblockCodec.Decoded a = readAt(device, 0, Superblock.COPY_A);
        long bOffset = a instanceof SuperblockCodec.Valid(Superblock sb)
                ? sb.layout().superblockBOffset() : device.size() - SuperblockCodec.BYTES;
        SuperblockCodec.Decoded b;
        if (bOffset < SuperblockCodec.BYTES || bOffset > device.size() - SuperblockCodec.BYTES) {
            b = new SuperblockCodec.Damaged("copy B at offset " + bOffset + " lies outside the device of "
                    + device.size() + " bytes");
        } else {
            b = readAt(device, bOffset, Superblock.COPY_B);
        }
        return new Found(a, b, bOffset);
    }

    private static SuperblockCodec.Decoded readAt(BlockDevice device, long offset, int copy) throws IOException {
        ByteBuffer buffer = AlignedBuffers.allocate(SuperblockCodec.BYTES);
        device.read(offset, buffer);
        byte[] bytes = new byte[SuperblockCodec.BYTES];
        buffer.flip().get(bytes);
        return SuperblockCodec.decode(bytes, copy);
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
