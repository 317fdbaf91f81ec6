package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A bounds-checked window {@code [offset, offset + length)} of a {@link BlockDevice}. */
final class DeviceRegion implements JournalDevice {

    private final BlockDevice device;
    private final long offset;
    private final long length;

    DeviceRegion(BlockDevice device, long offset, long length) {
        this.device = device;
        this.offset = offset;
        this.length = length;
    }

    @Override
    public int alignment() {
        return device.alignment();
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public void write(long position, ByteBuffer source) throws IOException {
        DirectFileDevice.check(position, source, length, offset, device.path(), "region write");
        device.write(offset + position, source);
    }

    @Override
    public void writeDurably(long position, ByteBuffer source) throws IOException {
        DirectFileDevice.check(position, source, length, offset, device.path(), "region write");
        device.writeDurably(offset + position, source);
    }

    @Override
    public void read(long position, ByteBuffer target) throws IOException {
        DirectFileDevice.check(position, target, length, offset, device.path(), "region read");
        device.read(offset + position, target);
    }

    @Override
    public void flush() throws IOException {
        device.flush();
    }

    @Override
    public String toString() {
        return "region [" + offset + ", +" + length + ") of " + device.path();
    }
}
