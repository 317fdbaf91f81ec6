package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Who this node is and what it runs: its name, data directory, roles, failure-domain labels and
 * the address other nodes reach its internal RPC on.
 *
 * @param name          the node's name, unique in the cluster (shown in the API and logs)
 * @param dataDir       where the node keeps its identity, metadata store and file-backed devices
 * @param roles         the servers this node runs
 * @param labels        failure-domain labels, {@code rack} and {@code site}
 * @param advertiseHost the host name or address other nodes use to reach this one
 * @param rpcPort       the internal RPC port (node-to-node calls)
 */
public record NodeSettings(
        @JsonProperty("name") @NotEmpty @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,62}",
                message = "must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
        String name,
        @JsonProperty("dataDir") @NotNull Path dataDir,
        @JsonProperty("roles") @NotEmpty Set<Role> roles,
        @JsonProperty("labels") Map<String, String> labels,
        @JsonProperty("advertiseHost") @NotEmpty String advertiseHost,
        @JsonProperty("rpcPort") @Min(1) @Max(65535) int rpcPort) {

    /** The servers a node can run. */
    public enum Role {
        /** Meta server: metadata, leader election, placement, failure detection. */
        META,
        /** Chunk server: the node's data devices. */
        CHUNK,
        /** Access server: iSCSI and NFS gateways (arrive with their issues). */
        ACCESS;

        /** Accepts "meta", "chunk" and "access" in configuration files. */
        @com.fasterxml.jackson.annotation.JsonCreator
        public static Role parse(final String text) {
            for (Role role : values()) {
                if (role.name().equalsIgnoreCase(text)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("unknown role '" + text + "' (roles are meta, chunk, access)");
        }
    }

    /** Fills the documented defaults. */
    public NodeSettings {
        name = name == null ? "node-1" : name;
        dataDir = dataDir == null ? Path.of("data", name) : dataDir;
        roles = roles == null ? Set.of(Role.META, Role.CHUNK, Role.ACCESS) : Set.copyOf(roles);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        advertiseHost = advertiseHost == null ? "127.0.0.1" : advertiseHost;
        rpcPort = rpcPort == 0 ? 7400 : rpcPort;
    }

    /** Whether this node runs {@code role}. */
    public boolean runs(final Role role) {
        return roles.contains(role);
    }

    /** {@code host:port} of this node's internal RPC, as other nodes dial it. */
    public String rpcAddress() {
        return advertiseHost + ":" + rpcPort;
    }
}
