package io.keel.meta.command;

/**
 * Grows a volume to {@code newSizeBytes}; {@code placement} places the extents the growth adds
 * (none if the new size still fits in the last extent). Shrinking is refused.
 */
public record ResizeVolume(String changeId, String volumeId, long newSizeBytes, ExtentPlacement placement)
        implements MetaCommand {
}
