package io.keel.meta.command;

import io.keel.meta.model.ChapCredentials;

/**
 * Sets the CHAP credentials every iSCSI discovery session must log in with (sealed for
 * {@link ChapCredentials#DISCOVERY}), or with {@code null} lets discovery sessions in without
 * authentication again.
 */
public record SetDiscoveryChap(String changeId, ChapCredentials chap) implements MetaCommand {
}
