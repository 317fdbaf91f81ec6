package io.keel.meta.command;

import io.keel.meta.model.QosLimits;

/** Replaces a pool's default QoS limits. */
public record UpdatePool(String changeId, String name, QosLimits qos) implements MetaCommand {
}
