package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import io.keel.runtime.context.Blocking;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlockDevice} on a Linux block device or a plain file, opened with O_DIRECT through a
 * {@link FileChannel}. Owns the channel and its recovery: the JDK closes a channel when a thread
 * blocked in it (or entering it) is interrupted, which would break every other user of the device,
 * so the channel is reopened and the interrupted caller alone gets an {@link InterruptedIOException}.
 */
public final class DirectFileDevice implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(DirectFileDevice.class);
    private static final int ALIGNMENT = AlignedBuffers.ALIGNMENT;
    private static final Path SYS_CLASS_BLOCK = Path.of("/sys/class/block");
    private static final OpenOption DIRECT = directOption();

    private final Path path;
    private final Path realPath;
    private final long size;
    private final Object lock = new Object();
    private volatile FileChannel channel;
    /** The same device opened with O_DSYNC too, for {@link #writeDurably}. */
    private volatile FileChannel durableChannel;
    private volatile boolean closed;
    private final AtomicLong reopens = new AtomicLong();
    /** Batches of writes with many in flight from one thread; null where the platform has no Linux AIO. */
    private final LinuxAio aio;

    private DirectFileDevice(Path path, Path realPath, FileChannel channel, FileChannel durableChannel, long size,
            LinuxAio aio) {
        this.path = path;
        this.realPath = realPath;
        this.channel = channel;
        this.durableChannel = durableChannel;
        this.size = size;
        this.aio = aio;
    }

    /**
     * Opens an existing block device or file for read and write. The usable size is the device's
     * size rounded down to the 4 KiB alignment.
     */
    public static DirectFileDevice open(Path path) throws IOException {
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such device or file");
        }
        FileChannel channel = openDirect(path, real, false);
        FileChannel durable = null;
        try {
            long bytes = Files.isRegularFile(real) ? channel.size() : blockDeviceSize(path, real, channel);
            long usable = bytes - bytes % ALIGNMENT;
            if (usable <= 0) {
                throw new IOException(path + ": device size " + bytes + " bytes is smaller than one "
                        + ALIGNMENT + "-byte sector");
            }
            durable = openDirect(path, real, true);
            LinuxAio aio = asyncWrites(real);
            LOG.info("{}: open for direct I/O, {} bytes; batches of writes {}", path, usable,
                    aio != null ? "through Linux AIO" : "one write at a time");
            return new DirectFileDevice(path, real, channel, durable, usable, aio);
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (durable != null) {
                durable.close();
            }
            throw e;
        }
    }

    /** Linux AIO on {@code real}, or null (logged when the platform has it but the open failed). */
    private static LinuxAio asyncWrites(Path real) {
        try {
            return LinuxAio.open(real);
        } catch (IOException e) {
            LOG.warn("{}: batches of writes go one at a time: {}", real, e.getMessage());
            return null;
        } catch (RuntimeException e) {
            // A bug in the native binding must not take the device down with it: it still works without.
            LOG.error("{}: Linux AIO failed to start; batches of writes go one at a time", real, e);
            return null;
        }
    }

    /**
     * Creates a new sparse file of {@code sizeBytes} (a positive multiple of 4 KiB) to stand in for
     * a device, and opens it. Fails if the file exists.
     */
    public static DirectFileDevice create(Path path, long sizeBytes) throws IOException {
        if (sizeBytes <= 0 || sizeBytes % ALIGNMENT != 0) {
            throw new IllegalArgumentException(path + ": device size must be a positive multiple of "
                    + ALIGNMENT + ", got " + sizeBytes);
        }
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(path.toString(), null, "a file is already there; not replacing it");
        }
        try {
            // ftruncate extends sparsely and leaves nothing in the page cache.
            try (var file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(sizeBytes);
            }
            return open(path);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /**
     * com.sun.nio.file.ExtendedOpenOption.DIRECT, looked up by name: javac flags every compile-time
     * reference to it as internal API, and the build treats warnings as errors.
     */
    private static OpenOption directOption() {
        try {
            Class<?> type = Class.forName("com.sun.nio.file.ExtendedOpenOption");
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals("DIRECT")) {
                    return (OpenOption) constant;
                }
            }
        } catch (ClassNotFoundException e) {
            return null;
        }
        return null;
    }

    private static FileChannel openDirect(Path path, Path real, boolean dsync) throws IOException {
        if (DIRECT == null) {
            throw new IOException(path + ": this JDK offers no O_DIRECT open option"
                    + " (com.sun.nio.file.ExtendedOpenOption.DIRECT)");
        }
        try {
            return dsync
                    ? FileChannel.open(real, StandardOpenOption.READ, StandardOpenOption.WRITE, DIRECT,
                            StandardOpenOption.DSYNC)
                    : FileChannel.open(real, StandardOpenOption.READ, StandardOpenOption.WRITE, DIRECT);
        } catch (IOException e) {
            if (!opensWithoutDirect(real)) {
                throw new IOException(path + ": cannot open for read and write: " + e.getMessage(), e);
            }
            String fs = fileStoreType(real);
            throw new IOException(path + ": cannot open with O_DIRECT"
                    + (fs == null ? "" : " (file system type " + fs + ")")
                    + "; the file system may not support direct I/O: " + e.getMessage(), e);
        }
    }

    /** Tells a refused O_DIRECT apart from a path that cannot be opened at all. */
    private static boolean opensWithoutDirect(Path real) {
        try (FileChannel plain = FileChannel.open(real, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return plain.isOpen();
        } catch (IOException e) {
            return false;
        }
    }

    private static String fileStoreType(Path real) {
        try {
            return Files.getFileStore(real).type();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The size of a block device in bytes, from sysfs (sectors of 512 bytes, whatever the device's
     * logical block size), because fstat reports 0 for block devices. Falls back to the channel's
     * size where sysfs has no entry (the JDK asks the kernel with BLKGETSIZE64 on Linux).
     */
    private static long blockDeviceSize(Path path, Path real, FileChannel channel) throws IOException {
        Path sysfs = SYS_CLASS_BLOCK.resolve(real.getFileName().toString()).resolve("size");
        if (Files.isReadable(sysfs)) {
            String text = Files.readString(sysfs, StandardCharsets.US_ASCII).trim();
            try {
                return Math.multiplyExact(Long.parseLong(text), 512L);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IOException(path + ": unreadable size '" + text + "' in " + sysfs, e);
            }
        }
        long bytes = channel.size();
        if (bytes == 0) {
            throw new IOException(path + " (" + real + "): cannot determine the device size: no "
                    + sysfs + " and the channel reports 0 bytes");
        }
        return bytes;
    }

    /** How often the channel was reopened because an interrupt closed it. */
    long reopens() {
        return reopens.get();
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int alignment() {
        return ALIGNMENT;
    }

    /** True for a regular file (created sparse by {@link #create}), false for a block device. */
    @Override
    public boolean allocatesOnFirstWrite() {
        return Files.isRegularFile(path);
    }

    @Override
    public void read(long position, ByteBuffer target) throws IOException {
        check(position, target, size, 0, path, "read");
        long at = position;
        while (target.hasRemaining()) {
            int n = readOnce(target, at);
            if (n < 0 || (n > 0 && target.hasRemaining() && n % ALIGNMENT != 0)) {
                // O_DIRECT only returns a non-aligned count at the end of the file.
                throw new EOFException(path + ": end of device at offset " + (at + Math.max(n, 0))
                        + " while reading " + target.remaining() + " more bytes from offset " + position);
            }
            at += n;
        }
    }

    @Override
    public void write(long position, ByteBuffer source) throws IOException {
        check(position, source, size, 0, path, "write");
        long at = position;
        while (source.hasRemaining()) {
            at += writeOnce(source, at, false);
        }
    }

    /**
     * With Linux AIO, one thread keeps up to {@value LinuxAio#WINDOW} of the writes in flight and
     * submits and reaps them in groups; elsewhere they are written one after the other.
     */
    @Override
    public void writeAll(List<Write> batch) throws IOException {
        for (Write piece : batch) {
            check(piece.position(), piece.source(), size, 0, path, "write");
        }
        if (aio == null) {
            BlockDevice.super.writeAll(batch);
            return;
        }
        failIfInterrupted("write", batch.isEmpty() ? -1 : batch.get(0).position());
        if (closed) {
            throw new ClosedChannelException();
        }
        if (!Blocking.callNative(() -> aio.writeAll(batch))) {
            LOG.debug("{}: no asynchronous I/O context free (fs.aio-max-nr); writing {} pieces one by one", path,
                    batch.size());
            BlockDevice.super.writeAll(batch);
        }
    }

    /** With Linux AIO; elsewhere false (the caller reads the blocking way). */
    @Override
    public boolean startReads(List<Read> batch, Consumer<IOException> done) throws IOException {
        for (Read read : batch) {
            check(read.position(), read.target(), size, 0, path, "read");
        }
        if (aio == null) {
            return false;
        }
        if (closed) {
            throw new ClosedChannelException();
        }
        return aio.startReads(batch, done);
    }

    @Override
    public int readsInFlight() {
        return aio == null ? 0 : aio.readsInFlight();
    }

    /** Makes the asynchronous reads' reaper fail once it next reaps completions (tests). */
    void injectReadReaperFailure(final Error failure) {
        if (aio != null) {
            aio.injectReadReaperFailure(failure);
        }
    }

    /** Large reads started and waiting for earlier ones to finish (see {@link LinuxAio#LARGE_READ_BUDGET}). */
    int largeReadsWaiting() {
        return aio == null ? 0 : aio.largeReadsWaiting();
    }

    /** Whether {@link #writeAll} uses Linux AIO here. */
    boolean writesAsynchronously() {
        return aio != null;
    }

    /** Writes through the O_DSYNC channel: each write returns once durable (the kernel flushes for it). */
    @Override
    public void writeDurably(long position, ByteBuffer source) throws IOException {
        check(position, source, size, 0, path, "durable write");
        long at = position;
        while (source.hasRemaining()) {
            at += writeOnce(source, at, true);
        }
    }

    @Override
    public void flush() throws IOException {
        while (true) {
            failIfInterrupted("flush", -1);
            FileChannel current = channel;
            try {
                Blocking.call(() -> {
                    current.force(false);
                    return null;
                });
                return;
            } catch (ClosedChannelException e) {
                recover(current, e, "flush");
            }
        }
    }

    private int readOnce(ByteBuffer target, long at) throws IOException {
        while (true) {
            failIfInterrupted("read", at);
            FileChannel current = channel;
            try {
                return Blocking.call(() -> current.read(target, at));
            } catch (ClosedChannelException e) {
                recover(current, e, "read at offset " + at);
            }
        }
    }

    private int writeOnce(ByteBuffer source, long at, boolean durable) throws IOException {
        while (true) {
            failIfInterrupted("write", at);
            FileChannel current = durable ? durableChannel : channel;
            try {
                return Blocking.call(() -> current.write(source, at));
            } catch (ClosedChannelException e) {
                recover(current, e, "write at offset " + at);
            }
        }
    }

    /** An interrupted thread would make the JDK close the channel under every other user ({@code at} -1: none). */
    private void failIfInterrupted(String op, long at) throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException(path + ": " + op + (at < 0 ? "" : " at offset " + at)
                    + " refused: the thread is interrupted");
        }
    }

    /**
     * Called when {@code failed} turned out closed. Returns if the operation should be retried on
     * a fresh channel, else throws: the device was closed, or this thread's interrupt closed it.
     */
    private void recover(FileChannel failed, ClosedChannelException cause, String what) throws IOException {
        if (closed) {
            ClosedChannelException e = new ClosedChannelException();
            e.initCause(new IOException(path + ": device closed during " + what, cause));
            throw e;
        }
        synchronized (lock) {
            if (!closed && channel == failed) {
                channel = openDirect(path, realPath, false);
                reopens.incrementAndGet();
            } else if (!closed && durableChannel == failed) {
                durableChannel = openDirect(path, realPath, true);
                reopens.incrementAndGet();
            }
        }
        if (cause instanceof ClosedByInterruptException) {
            // The interrupt status stays set so the caller's own cancellation logic sees it.
            InterruptedIOException e = new InterruptedIOException(path + ": " + what + " interrupted");
            e.initCause(cause);
            throw e;
        }
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Checks alignment and range of one I/O of {@code buffer} at {@code position} in {@code [0, limit)};
     * messages name {@code device} and {@code what} (built only on failure: this runs for every I/O).
     */
    static void check(long position, ByteBuffer buffer, long limit, long base, Object device, String what) {
        int length = buffer.remaining();
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException(device + ": " + what
                    + " needs a direct buffer (O_DIRECT); use AlignedBuffers.allocate");
        }
        if (position < 0 || position % ALIGNMENT != 0) {
            throw new IllegalArgumentException(device + ": " + what + " position " + (base + position)
                    + " is not a multiple of " + ALIGNMENT);
        }
        if (length % ALIGNMENT != 0) {
            throw new IllegalArgumentException(device + ": " + what + " length " + length + " is not a multiple of "
                    + ALIGNMENT);
        }
        long address = AlignedBuffers.addressAtPosition(buffer);
        if (address % ALIGNMENT != 0) {
            throw new IllegalArgumentException(device + ": " + what + " buffer address 0x" + Long.toHexString(address)
                    + " (at buffer position " + buffer.position() + ") is not a multiple of " + ALIGNMENT);
        }
        if (position > limit - length) {
            throw new IllegalArgumentException(device + ": " + what + " of " + length + " bytes at offset "
                    + (base + position) + " goes past the end (" + (base + limit) + " bytes)");
        }
    }

    @Override
    public JournalDevice region(long offset, long length) {
        if (offset < 0 || length <= 0 || offset % ALIGNMENT != 0 || length % ALIGNMENT != 0
                || offset > size - length) {
            throw new IllegalArgumentException(path + ": region [" + offset + ", +" + length
                    + ") must be non-empty, " + ALIGNMENT + "-aligned and inside the device of " + size + " bytes");
        }
        return new DeviceRegion(this, offset, length);
    }

    /** Closes the device; I/O still in flight on other threads ends with a {@link ClosedChannelException}. */
    @Override
    public void close() throws IOException {
        synchronized (lock) {
            closed = true;
            try {
                channel.close();
            } finally {
                try {
                    durableChannel.close();
                } finally {
                    if (aio != null) {
                        aio.close();
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "DirectFileDevice[" + path + ", " + size + " bytes]";
    }
}
