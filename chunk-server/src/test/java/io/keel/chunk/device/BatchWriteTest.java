package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BlockDevice#writeAll} on a file: through Linux AIO where there is one, many writes in flight. */
class BatchWriteTest {

    private static final int MIB = 1 << 20;
    private static final int SLOT = 8192;

    @TempDir
    Path dir;

    /** Whether this platform is one {@link LinuxAio} supports (then the device must use it). */
    private static boolean linuxAioExpected() {
        String arch = System.getProperty("os.arch", "");
        return System.getProperty("os.name", "").startsWith("Linux")
                && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
    }

    /** {@code count} pieces of 4 or 8 KiB at distinct random 8 KiB slots of the first {@code slots}. */
    private static List<BlockDevice.Write> randomPieces(final int count, final int slots, final long seed) {
        List<Integer> order = new ArrayList<>();
        for (int slot = 0; slot < slots; slot++) {
            order.add(slot);
        }
        Random random = new Random(seed);
        Collections.shuffle(order, random);
        List<BlockDevice.Write> pieces = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int bytes = random.nextBoolean() ? 4096 : SLOT;
            pieces.add(new BlockDevice.Write((long) order.get(k) * SLOT, TestData.pattern(bytes, seed * 1000 + k)));
        }
        return pieces;
    }

    private static void assertWritten(final BlockDevice device, final BlockDevice.Write piece) throws IOException {
        ByteBuffer back = AlignedBuffers.allocate(piece.source().remaining());
        device.read(piece.position(), back);
        assertThat(back.flip()).as("piece at %d", piece.position()).isEqualTo(piece.source());
    }

    @Test
    void aBatchOfManyRandomPiecesIsWrittenInFullWithPositionsLeftAlone() throws IOException {
        try (DirectFileDevice device = DirectFileDevice.create(dir.resolve("dev"), 8 * MIB)) {
            assertThat(device.writesAsynchronously()).isEqualTo(linuxAioExpected());
            // Far more pieces than LinuxAio keeps in flight, so slots are reused many times over.
            List<BlockDevice.Write> pieces = randomPieces(300, 8 * MIB / SLOT, 1);
            device.writeAll(pieces);
            for (BlockDevice.Write piece : pieces) {
                assertThat(piece.source().position()).isZero();
                assertWritten(device, piece);
            }
            device.writeAll(List.of());
        }
    }

    @Test
    void piecesAreCheckedLikeSingleWritesBeforeAnyIsWritten() throws IOException {
        try (DirectFileDevice device = DirectFileDevice.create(dir.resolve("dev"), 4 * MIB)) {
            BlockDevice.Write good = new BlockDevice.Write(0, TestData.pattern(4096, 3));
            BlockDevice.Write pastTheEnd = new BlockDevice.Write(4 * MIB, TestData.pattern(4096, 4));
            assertThatThrownBy(() -> device.writeAll(List.of(good, pastTheEnd)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("goes past the end");
            ByteBuffer back = AlignedBuffers.allocate(4096);
            device.read(0, back);
            assertThat(back.flip()).isEqualTo(ByteBuffer.allocate(4096));
        }
    }

    @Test
    void aPieceTheKernelRefusesFailsTheBatchOnceTheOthersAreDone() throws IOException {
        assumeTrue(linuxAioExpected(), "Linux AIO is not available here");
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, 4 * MIB);
                LinuxAio aio = LinuxAio.open(file.toRealPath())) {
            List<BlockDevice.Write> pieces = new ArrayList<>(randomPieces(40, 4 * MIB / SLOT, 2));
            // O_DIRECT refuses a buffer at an odd address; the first window went out before it.
            ByteBuffer misaligned = AlignedBuffers.allocate(8192).position(1).limit(1 + 4096).slice();
            int bad = LinuxAio.WINDOW + 4;
            long badOffset = pieces.get(bad).position();
            pieces.set(bad, new BlockDevice.Write(badOffset, misaligned));
            assertThatThrownBy(() -> aio.writeAll(pieces)).isInstanceOf(IOException.class)
                    .hasMessageContaining(file.toRealPath().toString())
                    .hasMessageContaining("at offset " + badOffset).hasMessageContaining("errno 22");
            for (int k = 0; k < LinuxAio.WINDOW; k++) {
                assertWritten(device, pieces.get(k));
            }
        }
    }

    @Test
    void aClosedDeviceRefusesABatch() throws IOException {
        DirectFileDevice device = DirectFileDevice.create(dir.resolve("dev"), 4 * MIB);
        device.close();
        assertThatThrownBy(() -> device.writeAll(List.of(new BlockDevice.Write(0, TestData.pattern(4096, 5)))))
                .isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void theDefaultWritesEveryPieceOneAfterTheOther() throws IOException {
        MemoryBlockDevice device = new MemoryBlockDevice("memory", 4 * MIB);
        List<BlockDevice.Write> pieces = randomPieces(50, 4 * MIB / SLOT, 3);
        device.writeAll(pieces);
        for (BlockDevice.Write piece : pieces) {
            assertThat(piece.source().position()).isZero();
            assertWritten(device, piece);
        }
    }
}
