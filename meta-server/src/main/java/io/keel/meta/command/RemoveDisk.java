package io.keel.meta.command;

/** Removes a disk; refused if the remaining DATA capacity would not cover the thick reservations. */
public record RemoveDisk(String changeId, String diskId) implements MetaCommand {
}
