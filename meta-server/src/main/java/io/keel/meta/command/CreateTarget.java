package io.keel.meta.command;

import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.Lun;
import java.util.List;

/**
 * Creates an iSCSI target. An empty {@code allowedInitiators} admits any initiator; {@code chap}
 * {@code null} turns CHAP off; secrets arrive sealed ({@code ChapCredentials.seal}).
 */
public record CreateTarget(String changeId, String iqn, String alias, List<Lun> luns, List<String> allowedInitiators,
        ChapCredentials chap, long at) implements MetaCommand {
}
