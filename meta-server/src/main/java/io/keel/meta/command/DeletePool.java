package io.keel.meta.command;

/** Deletes a pool that has no volumes. */
public record DeletePool(String changeId, String name) implements MetaCommand {
}
