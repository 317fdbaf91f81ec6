package io.keel.meta.command;

import io.keel.meta.model.Provisioning;

/**
 * Creates a volume with all its extents. {@code provisioning} {@code null} takes the pool's;
 * {@code servingNode} may be {@code null}; {@code placement} has one replica list per extent
 * ({@code ceil(sizeBytes / extentSize)} of them), computed by the leader with {@code Placement};
 * {@code physicalBlockBytes} (512 or 4096) is what its LUNs report as their physical block,
 * {@code null} for the default.
 */
public record CreateVolume(String changeId, String volumeId, String name, String pool, long sizeBytes,
        Provisioning provisioning, long extentSize, String servingNode, ExtentPlacement placement, long at,
        Integer physicalBlockBytes) implements MetaCommand {
}
