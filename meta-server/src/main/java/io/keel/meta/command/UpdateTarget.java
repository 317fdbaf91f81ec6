package io.keel.meta.command;

import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.Lun;
import java.util.List;

/** Replaces a target's alias, LUN map, allowed initiators and CHAP settings (all of them). */
public record UpdateTarget(String changeId, String iqn, String alias, List<Lun> luns, List<String> allowedInitiators,
        ChapCredentials chap) implements MetaCommand {
}
