package io.keel.bench.journal;

import com.sun.nio.file.ExtendedOpenOption;
import io.keel.journal.JournalDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link JournalDevice} on a file, opened with O_DIRECT when asked (and when the file system
 * supports it), flushed with fdatasync: what the chunk server does to its raw devices.
 */
final class FileDevice implements JournalDevice, AutoCloseable {

    private final FileChannel channel;
    private final long size;
    private final boolean direct;

    FileDevice(final Path path, final long size, final boolean wantDirect) throws IOException {
        FileChannel opened = null;
        if (wantDirect) {
            try {
                opened = open(path, true);
            } catch (IOException | UnsupportedOperationException e) {
                opened = null;
            }
        }
        this.direct = opened != null;
        this.channel = opened != null ? opened : open(path, false);
        this.size = size;
        if (channel.size() < size) {
            ByteBuffer zero = ByteBuffer.allocateDirect(8192).alignedSlice(4096);
            channel.write(zero, size - zero.remaining());
        }
    }

    private static FileChannel open(final Path path, final boolean direct) throws IOException {
        List<OpenOption> options = new ArrayList<>(List.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
        if (direct) {
            options.add(ExtendedOpenOption.DIRECT);
        }
        return FileChannel.open(path, options.toArray(OpenOption[]::new));
    }

    boolean direct() {
        return direct;
    }

    FileChannel channel() {
        return channel;
    }

    @Override
    public int alignment() {
        return 4096;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void write(final long position, final ByteBuffer source) throws IOException {
        long at = position;
        while (source.hasRemaining()) {
            at += channel.write(source, at);
        }
    }

    @Override
    public void read(final long position, final ByteBuffer target) throws IOException {
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

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
