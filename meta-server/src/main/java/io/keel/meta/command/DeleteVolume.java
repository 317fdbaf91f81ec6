package io.keel.meta.command;

/** Deletes a volume and its extents; refused while a target exports it or it has snapshots. */
public record DeleteVolume(String changeId, String volumeId) implements MetaCommand {
}
