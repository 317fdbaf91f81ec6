package io.keel.chunk.device;

import io.keel.chunk.device.DeviceRefusedException.Reason;
import io.keel.chunk.device.SuperblockCodec.Blank;
import io.keel.chunk.device.SuperblockCodec.Decoded;
import io.keel.chunk.device.SuperblockCodec.Valid;
import io.keel.runtime.time.Clock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats a device: computes its layout, clears the headers of every journal region and checkpoint
 * slot, and writes the two superblock copies. Refuses to format over a Keel device unless forced.
 */
public final class DeviceFormatter {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceFormatter.class);

    /** Bytes cleared at the start of each journal region and checkpoint slot. */
    public static final int HEADER_BYTES = 4096;

    private final Clock clock;

    /** A formatter that stamps superblocks with {@code clock}'s wall time. */
    public DeviceFormatter(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Formats {@code device} and returns its superblock (copy A).
     *
     * @param force format even if the device carries a Keel superblock (valid, damaged or newer)
     * @throws DeviceRefusedException with {@link Reason#ALREADY_FORMATTED} when not forced over a
     *     Keel device
     * @throws IllegalArgumentException if the options are out of range or the device is too small
     */
    public Superblock format(BlockDevice device, DeviceIdentity identity, DeviceRole role, LayoutOptions options,
            boolean force) throws IOException {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(options, "options");
        DeviceLayout layout;
        try {
            layout = DeviceLayout.compute(device.size(), role, options);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(device.path() + ": cannot format as " + role + ": " + e.getMessage(), e);
        }
        SuperblockCopies.Found found = SuperblockCopies.read(device);
        long generation = Math.max(generationOf(found.a()), generationOf(found.b())) + 1;
        boolean keel = !(found.a() instanceof Blank) || !(found.b() instanceof Blank);
        if (keel) {
            String what = "copy A: " + SuperblockCopies.describe(found.a()) + "; copy B: "
                    + SuperblockCopies.describe(found.b());
            if (!force) {
                throw new DeviceRefusedException(device.path(), Reason.ALREADY_FORMATTED, "already carries a Keel"
                        + " superblock (" + what + "); format with force to overwrite it");
            }
            LOG.warn("{}: formatting over an existing Keel superblock because force was given ({})", device.path(),
                    what);
        }
        Superblock superblock = new Superblock(SuperblockCodec.WRITE_VERSION, Superblock.COPY_A, role, identity,
                layout, options.journalDeviceId(), clock.epochMillis(), generation);

        // Headers first, made durable before any superblock: a superblock must never point at
        // regions still holding a previous life's journal or checkpoint headers.
        ByteBuffer zeros = AlignedBuffers.allocate(HEADER_BYTES);
        if (layout.journalBytes() > 0) {
            for (int w = 0; w < layout.workers(); w++) {
                device.write(layout.journalOffset(w), zeros.clear());
            }
        }
        if (layout.checkpointSlotBytes() > 0) {
            for (int w = 0; w < layout.workers(); w++) {
                device.write(layout.checkpointSlotOffset(w, 0), zeros.clear());
                device.write(layout.checkpointSlotOffset(w, 1), zeros.clear());
            }
        }
        device.flush();
        // B before A, each made durable: after a crash at any point at least one copy is whole.
        SuperblockCopies.write(device, superblock.asCopy(Superblock.COPY_B));
        device.flush();
        SuperblockCopies.write(device, superblock);
        device.flush();
        return superblock;
    }

    private static long generationOf(Decoded copy) {
        return copy instanceof Valid(Superblock sb) ? sb.generation() : 0;
    }
}
