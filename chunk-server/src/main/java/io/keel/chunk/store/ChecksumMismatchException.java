package io.keel.chunk.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A sector read from the device does not match the CRC32C recorded when it was written: the data
 * on the device is damaged. Says which device, extent and offset, so the sector can be repaired
 * from a replica.
 */
public final class ChecksumMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path device;
    private final long deviceOffset;
    private final long extentId;
    private final long extentOffset;
    private final int expectedCrc;
    private final int actualCrc;

    public ChecksumMismatchException(final Path device, final long deviceOffset, final long extentId,
            final long extentOffset, final int expectedCrc, final int actualCrc) {
        super(String.format("checksum mismatch on %s at device offset %d: extent %s offset %d expected CRC32C %08x,"
                + " read %08x", device, deviceOffset, Long.toUnsignedString(extentId, 16), extentOffset,
                expectedCrc, actualCrc));
        this.device = device;
        this.deviceOffset = deviceOffset;
        this.extentId = extentId;
        this.extentOffset = extentOffset;
        this.expectedCrc = expectedCrc;
        this.actualCrc = actualCrc;
    }

    public int expectedCrc() {
        return expectedCrc;
    }

    public int actualCrc() {
        return actualCrc;
    }

    public Path device() {
        return device;
    }

    public long deviceOffset() {
        return deviceOffset;
    }

    public long extentId() {
        return extentId;
    }

    public long extentOffset() {
        return extentOffset;
    }
}
