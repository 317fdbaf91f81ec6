package io.keel.meta.command;

import io.keel.meta.model.QosLimits;

/**
 * Gives a volume QoS limits of its own ({@code qos}), which hold instead of its pool's, or with
 * {@code null} returns it to its pool's.
 */
public record SetVolumeQos(String changeId, String volumeId, QosLimits qos) implements MetaCommand {
}
