package io.keel.chunk.device;

import java.util.Objects;
import java.util.UUID;

/**
 * The contents of one superblock copy: who the device belongs to, what it is for, and its whole
 * layout. {@link SuperblockCodec} reads and writes it as exactly 4096 bytes.
 *
 * @param formatVersion the device format version it was written in
 * @param copyIndex 0 for copy A (offset 0), 1 for copy B (last sector)
 * @param role what the device is for
 * @param identity cluster, node and device ids
 * @param layout where every region lives
 * @param journalDeviceId the JOURNAL_CACHE device holding a DATA device's journals, or
 *     {@link DeviceIdentity#NONE} when they are embedded (always NONE on a JOURNAL_CACHE device)
 * @param createdAtMillis when the device was formatted, epoch milliseconds (for people, not logic)
 * @param generation 1 when first formatted; the higher of two valid copies wins
 */
public record Superblock(int formatVersion, int copyIndex, DeviceRole role, DeviceIdentity identity,
        DeviceLayout layout, UUID journalDeviceId, long createdAtMillis, long generation) {

    /** Copy A, at offset 0. */
    public static final int COPY_A = 0;
    /** Copy B, in the device's last sector. */
    public static final int COPY_B = 1;

    /** Checks that the fields agree with each other and with the role. */
    public Superblock {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(journalDeviceId, "journalDeviceId");
        if (copyIndex != COPY_A && copyIndex != COPY_B) {
            throw new IllegalArgumentException("copy index " + copyIndex + " is not 0 (A) or 1 (B)");
        }
        if (generation < 1) {
            throw new IllegalArgumentException("generation " + generation + " is not positive");
        }
        boolean embedded = journalDeviceId.equals(DeviceIdentity.NONE);
        if (role == DeviceRole.JOURNAL_CACHE) {
            if (layout.blocksPerGroup() != 0 || !embedded) {
                throw new IllegalArgumentException("a JOURNAL_CACHE device has no data blocks and no journal"
                        + " device id (blocks per group " + layout.blocksPerGroup() + ", journal device "
                        + journalDeviceId + ")");
            }
        } else {
            if (layout.blocksPerGroup() < 1) {
                throw new IllegalArgumentException("a DATA device needs at least one block per allocation group");
            }
            if (embedded != (layout.journalBytes() > 0)) {
                throw new IllegalArgumentException("a DATA device embeds journals exactly when it names no journal"
                        + " device (journal bytes " + layout.journalBytes() + ", journal device " + journalDeviceId
                        + ")");
            }
        }
        if (journalDeviceId.equals(identity.deviceId())) {
            throw new IllegalArgumentException("a device cannot hold its own journals by reference: "
                    + journalDeviceId);
        }
    }

    /** Device size at format time; the device may not be smaller when opened. */
    public long deviceSize() {
        return layout.deviceSize();
    }

    /** Offset of this copy on the device. */
    public long offset() {
        return copyIndex == COPY_A ? 0 : layout.superblockBOffset();
    }

    /** The same superblock as the other copy index would carry. */
    public Superblock asCopy(int index) {
        return new Superblock(formatVersion, index, role, identity, layout, journalDeviceId, createdAtMillis,
                generation);
    }

    /** True if both say the same, whatever their copy index. */
    public boolean sameContentAs(Superblock other) {
        return asCopy(COPY_A).equals(other.asCopy(COPY_A));
    }
}
