package io.keel.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link JournalDevice} on a plain file (no O_DIRECT), for exercising real I/O in tests: it
 * checks the alignment rules the chunk server's O_DIRECT devices impose and flushes with
 * {@code force(false)}, i.e. fdatasync.
 */
final class FileJournalDevice implements JournalDevice, AutoCloseable {

    private final FileChannel channel;
    private final int alignment;
    private final long size;

    FileJournalDevice(final Path path, final long size, final int alignment) throws IOException {
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        this.alignment = alignment;
        this.size = size;
        if (channel.size() < size) {
            channel.write(ByteBuffer.allocate(1), size - 1);
        }
    }

    @Override
    public int alignment() {
        return alignment;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void write(final long position, final ByteBuffer source) throws IOException {
        check(position, source);
        long at = position;
        while (source.hasRemaining()) {
            at += channel.write(source, at);
        }
    }

    @Override
    public void read(final long position, final ByteBuffer target) throws IOException {
        check(position, target);
        long at = position;
        while (target.hasRemaining()) {
            int read = channel.read(target, at);
            if (read < 0) {
                throw new IOException("end of file at " + at);
            }
            at += read;
        }
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    private void check(final long position, final ByteBuffer buffer) {
        if (!buffer.isDirect() || buffer.alignmentOffset(buffer.position(), alignment) != 0
                || buffer.remaining() % alignment != 0 || position % alignment != 0
                || position + buffer.remaining() > size) {
            throw new IllegalArgumentException("I/O breaks the O_DIRECT rules: " + position + ", " + buffer);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
