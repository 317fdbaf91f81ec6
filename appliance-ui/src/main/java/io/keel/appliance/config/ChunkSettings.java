package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.List;

/**
 * The chunk role's devices and store settings.
 *
 * @param devices the data devices; a relative path is under the node's data directory
 * @param workers workers (each with its own journal) per newly formatted device
 * @param scrubMiBPerSecond the background scrubber's pace in MiB/s (an eighth of it while clients use
 *     the store); 0 turns it off
 * @param scrubIntervalHours a background scrub pass starts at most once in this many hours (a store
 *     too large to read in that time at the pace is scrubbed continuously)
 */
public record ChunkSettings(
        @JsonProperty("devices") @Valid List<DeviceSettings> devices,
        @JsonProperty("workers") @Min(1) @Max(64) int workers,
        @JsonProperty("scrubMiBPerSecond") @Min(0) @Max(4096) Integer scrubMiBPerSecond,
        @JsonProperty("scrubIntervalHours") @Min(1) @Max(8760) Integer scrubIntervalHours) {

    /**
     * Fills the documented defaults: one 4 GiB file-backed device, two workers, scrubbing at 16 MiB/s
     * with a pass at most once a day.
     */
    public ChunkSettings {
        devices = devices == null ? List.of(new DeviceSettings(Path.of("devices", "data-0.img"), 4L << 30, true))
                : List.copyOf(devices);
        workers = workers == 0 ? 2 : workers;
        scrubMiBPerSecond = scrubMiBPerSecond == null ? 16 : scrubMiBPerSecond;
        scrubIntervalHours = scrubIntervalHours == null ? 24 : scrubIntervalHours;
    }

    /**
     * One data device.
     *
     * @param path       a block device (/dev/...) or a file standing in for one
     * @param sizeBytes  for a file that does not exist yet: its size
     * @param createFile whether a missing file is created (and formatted) rather than refused
     */
    public record DeviceSettings(
            @JsonProperty("path") @NotNull Path path,
            @JsonProperty("sizeBytes") @Min(64L << 20) long sizeBytes,
            @JsonProperty("createFile") boolean createFile) {

        /** Fills the documented default size of 4 GiB. */
        public DeviceSettings {
            sizeBytes = sizeBytes == 0 ? 4L << 30 : sizeBytes;
        }
    }
}
