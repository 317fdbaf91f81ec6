package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.List;

/**
 * The access role's iSCSI portal.
 *
 * @param listen         {@code host:port} addresses to listen on ({@code 0.0.0.0:3260} for every address)
 * @param portalAddress  the {@code host:port} initiators are told to connect to (SendTargets), or null
 *                       for the address a discovery session arrived on
 * @param queueDepth     commands in flight per session (the CmdSN window)
 * @param maxConnections connections the portal serves at once (each has a reader thread)
 */
public record IscsiSettings(
        @JsonProperty("listen") List<String> listen,
        @JsonProperty("portalAddress") String portalAddress,
        @JsonProperty("queueDepth") @Min(0) @Max(1024) int queueDepth,
        @JsonProperty("maxConnections") @Min(0) @Max(65536) int maxConnections) {

    /** Fills the documented defaults: every address on port 3260, 128 commands per session, 1024 connections. */
    public IscsiSettings {
        listen = listen == null || listen.isEmpty() ? List.of("0.0.0.0:3260") : List.copyOf(listen);
        queueDepth = queueDepth == 0 ? 128 : queueDepth;
        maxConnections = maxConnections == 0 ? 1024 : maxConnections;
    }
}
