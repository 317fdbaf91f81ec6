package io.keel.meta.command;

/**
 * One change to the metadata, as carried in a log entry (see {@link CommandCodec}). Everything
 * nondeterministic (ids, timestamps, placement) is decided by the leader before it appends, so
 * applying a command is a pure function of the state and the command. {@link #changeId} names the
 * logical change: a retry reuses it and is applied at most once.
 */
public sealed interface MetaCommand permits RegisterNode, SetNodeState, UpdateNodeLabels, RegisterDisk, RemoveDisk,
        CreatePool, UpdatePool, DeletePool, CreateVolume, ResizeVolume, DeleteVolume, SetVolumeServingNode,
        SetVolumeQos, CreateSnapshot, DeleteSnapshot, CreateTarget, UpdateTarget, DeleteTarget, SetAdminCredential,
        ReplaceExtentReplicas, SetScsiReservations, SetDiscoveryChap {

    /** Unique per logical change; a retried change reuses it. 1–128 printable characters. */
    String changeId();
}
