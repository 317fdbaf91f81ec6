package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test helper: a heap-backed BlockDevice with the same argument contract as DirectFileDevice. */
final class MemoryBlockDevice implements BlockDevice {

    private final Path path;
    private final byte[] bytes;
    private final List<String> log = new ArrayList<>();

    MemoryBlockDevice(String name, int size) {
        this(Path.of("/mem/" + name), new byte[size]);
    }

    private MemoryBlockDevice(Path path, byte[] bytes) {
        this.path = path;
        this.bytes = bytes;
    }

    /** A copy of this device cut or extended (with zeros) to {@code size} bytes. */
    MemoryBlockDevice resizedTo(int size) {
        return new MemoryBlockDevice(path, Arrays.copyOf(bytes, size));
    }

    /** Every write ("write OFFSET") and flush ("flush") in order. */
    synchronized List<String> log() {
        return List.copyOf(log);
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public int alignment() {
        return 4096;
    }

    @Override
    public synchronized void read(long position, ByteBuffer target) throws IOException {
        DirectFileDevice.check(position, target, bytes.length, 0, path, "read");
        target.put(bytes, (int) position, target.remaining());
    }

    @Override
    public synchronized void write(long position, ByteBuffer source) throws IOException {
        DirectFileDevice.check(position, source, bytes.length, 0, path, "write");
        log.add("write " + position);
        source.get(bytes, (int) position, source.remaining());
    }

    @Override
    public synchronized void flush() {
        log.add("flush");
    }

    @Override
    public JournalDevice region(long offset, long length) {
        return new DeviceRegion(this, offset, length);
    }

    @Override
    public void close() {
    }
}
