package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/** Test helper: a heap-backed BlockDevice with the same argument contract as DirectFileDevice. */
final class MemoryBlockDevice implements BlockDevice {

    private final Path path;
    private final byte[] bytes;
    private int writes;
    private int flushes;

    MemoryBlockDevice(String name, int size) {
        this(Path.of("/mem/" + name), new byte[size]);
    }

    private MemoryBlockDevice(Path path, byte[] bytes) {
        this.path = path;
        this.bytes = bytes;
    }

    /** A device holding the first {@code size} bytes of this one, as if it had shrunk. */
    MemoryBlockDevice shrunkTo(int size) {
        return new MemoryBlockDevice(path, Arrays.copyOf(bytes, size));
    }

    byte[] bytes() {
        return bytes;
    }

    synchronized int writes() {
        return writes;
    }

    synchronized int flushes() {
        return flushes;
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
        DirectFileDevice.check(position, target, bytes.length, 0, path + ": read");
        target.put(bytes, (int) position, target.remaining());
    }

    @Override
    public synchronized void write(long position, ByteBuffer source) throws IOException {
        DirectFileDevice.check(position, source, bytes.length, 0, path + ": write");
        writes++;
        source.get(bytes, (int) position, source.remaining());
    }

    @Override
    public synchronized void flush() {
        flushes++;
    }

    @Override
    public JournalDevice region(long offset, long length) {
        return new DeviceRegion(this, offset, length);
    }

    @Override
    public void close() {
    }
}
