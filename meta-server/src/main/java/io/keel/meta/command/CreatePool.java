package io.keel.meta.command;

import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;

/** Creates a pool. */
public record CreatePool(String changeId, String name, int replicationFactor, Provisioning provisioning,
        FailureDomain failureDomain, QosLimits qos, long at) implements MetaCommand {
}
