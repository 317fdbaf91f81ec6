package io.keel.chunk.device;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/** A device that Keel will not open (or format over), with the reason; the message names the device. */
public final class DeviceRefusedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why a device was refused. */
    public enum Reason {
        /** Neither superblock copy carries Keel's magic. */
        NOT_FORMATTED,
        /** Keel's magic is there, but neither copy passes its checks. */
        CORRUPT,
        /** A copy was written by a newer device format version than this Keel reads. */
        NEWER_FORMAT,
        /** The device belongs to another cluster. */
        OTHER_CLUSTER,
        /** The device belongs to another node of this cluster. */
        OTHER_NODE,
        /** The device was formatted for another role. */
        WRONG_ROLE,
        /** The device is smaller than when it was formatted. */
        SIZE_MISMATCH,
        /** Both copies are valid but name different identities or layouts. */
        COPIES_DISAGREE,
        /** Formatting was refused: the device already carries a Keel superblock and force was not given. */
        ALREADY_FORMATTED
    }

    private final transient Path device;
    private final Reason reason;

    /** A refusal of {@code device} for {@code reason}; {@code detail} follows the device path in the message. */
    public DeviceRefusedException(Path device, Reason reason, String detail) {
        super(device + ": " + Objects.requireNonNull(reason, "reason") + ": " + detail);
        this.device = device;
        this.reason = reason;
    }

    /** The device refused. */
    public Path device() {
        return device;
    }

    /** Why it was refused. */
    public Reason reason() {
        return reason;
    }
}
