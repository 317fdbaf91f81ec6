package io.keel.meta.command;

/** Moves the serving of a volume to {@code nodeId} (an UP node), or clears it with {@code null}. */
public record SetVolumeServingNode(String changeId, String volumeId, String nodeId) implements MetaCommand {
}
