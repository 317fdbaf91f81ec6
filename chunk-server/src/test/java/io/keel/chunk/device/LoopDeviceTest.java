package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keel.runtime.time.ManualClock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Formats, opens and does direct I/O through a real block device: a loop device over a temp file. */
class LoopDeviceTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private record Result(int exitCode, String output) {
    }

    private static Result run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        return new Result(process.exitValue(), out);
    }

    @Test
    void formatOpenAndDirectIoThroughALoopDevice() throws Exception {
        assumeTrue(List.of("/usr/sbin/losetup", "/sbin/losetup", "/usr/bin/losetup").stream()
                .anyMatch(p -> Files.isExecutable(Path.of(p))), "losetup (util-linux) is not installed");
        long size = 256L * MIB;
        Path backing = dir.resolve("backing.img");
        try (RandomAccessFile file = new RandomAccessFile(backing.toFile(), "rw")) {
            file.setLength(size);
        }
        Result attach = run("losetup", "-f", "--show", backing.toString());
        assumeTrue(attach.exitCode() == 0 && attach.output().startsWith("/dev/loop"),
                "cannot attach a loop device here (not root, or no loop support in this container): "
                        + attach.output());
        Path loop = Path.of(attach.output());
        try {
            exercise(loop, backing, size);
        } finally {
            Result detach = run("losetup", "-d", loop.toString());
            assertThat(detach.exitCode()).as("losetup -d %s: %s", loop, detach.output()).isZero();
            assertThat(run("losetup", "-j", backing.toString()).output()).as("loop device left behind").isEmpty();
        }
    }

    private static void exercise(Path loop, Path backing, long size) throws Exception {
        UUID cluster = UUID.randomUUID();
        UUID node = UUID.randomUUID();
        DeviceIdentity id = new DeviceIdentity(cluster, node, UUID.randomUUID());
        LayoutOptions options = LayoutOptions.defaults(2).withJournalBytesPerWorker(16L * MIB);
        try (DirectFileDevice device = DirectFileDevice.open(loop)) {
            assertThat(device.size()).as("block device size (fstat says 0)").isEqualTo(size);
            new DeviceFormatter(new ManualClock()).format(device, id, DeviceRole.DATA, options, false);
        }
        int bytes = 32 * MIB;
        long dataOffset;
        try (OpenedDevice opened = DeviceOpener.open(loop, cluster, node, DeviceRole.DATA)) {
            DeviceLayout layout = opened.layout();
            assertThat(layout.deviceSize()).isEqualTo(size);
            dataOffset = layout.blockOffset(0);
            assertThat(layout.totalBlocks() * layout.blockSize()).isGreaterThan(bytes);
            BlockDevice device = opened.device();
            ByteBuffer buffer = AlignedBuffers.allocate(MIB);
            for (int i = 0; i < bytes / MIB; i++) {
                TestData.fill(buffer.clear(), i);
                device.write(dataOffset + (long) i * MIB, buffer);
            }
            device.flush();
            for (int i = 0; i < bytes / MIB; i++) {
                device.read(dataOffset + (long) i * MIB, buffer.clear());
                assertThat(buffer.flip()).as("MiB %d", i).isEqualTo(TestData.pattern(MIB, i));
            }
            assertThat(PageCache.residentBytes(loop, dataOffset, bytes))
                    .as("block device pages cached after direct I/O")
                    .isLessThan(MIB);
        }
        // Control: a buffered read of the same range does fill the block device's page cache. It is
        // checked while the channel is open: the kernel drops a block device's cache at its last close.
        try (FileChannel buffered = FileChannel.open(loop, StandardOpenOption.READ)) {
            ByteBuffer heap = ByteBuffer.allocate(MIB);
            for (int i = 0; i < bytes / MIB; i++) {
                buffered.read(heap.clear(), dataOffset + (long) i * MIB);
            }
            assertThat(PageCache.residentBytes(loop, dataOffset, bytes))
                    .as("block device pages cached after buffered read")
                    .isGreaterThan(bytes - MIB);
        }
        // The data went through the device to the file behind it.
        try (DirectFileDevice file = DirectFileDevice.open(backing)) {
            ByteBuffer buffer = AlignedBuffers.allocate(MIB);
            file.read(dataOffset + 31L * MIB, buffer);
            assertThat(buffer.flip()).isEqualTo(TestData.pattern(MIB, 31));
        }
    }
}
