package io.keel.meta.command;

/** Deletes an iSCSI target; its volumes stay. */
public record DeleteTarget(String changeId, String iqn) implements MetaCommand {
}
