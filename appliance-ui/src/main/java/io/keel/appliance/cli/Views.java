package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.keel.appliance.cli.Output.Column;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Which fields of each API resource the CLI shows, under which headers, and how they are rendered. */
final class Views {

    static final List<Column> CLUSTER = List.of(
            show("cluster id", text("clusterId")),
            show("leader", n -> n.path("leader").isObject() ? text("node").apply(n.path("leader")) : "none"),
            show("leader term", n -> text("term").apply(n.path("leader"))),
            show("nodes up", n -> text("up").apply(n.path("nodes"))),
            show("nodes down", n -> text("down").apply(n.path("nodes"))));

    static final List<Column> HEALTH = List.of(
            show("status", text("status")),
            show("leader", n -> n.path("leader").isTextual() ? n.path("leader").asText() : "none"));

    static final List<Column> NODE = List.of(
            col("name", text("name")),
            col("state", text("state")),
            col("roles", join("roles")),
            col("rack", n -> text("rack").apply(n.path("labels"))),
            col("site", n -> text("site").apply(n.path("labels"))),
            num("capacity", size("capacityBytes")),
            num("free", size("freeBytes")),
            col("rest address", text("restAddress")),
            show("rpc address", text("rpcAddress")),
            col("heartbeat", Views::heartbeat),
            show("id", text("id")));

    static final List<Column> DISK = List.of(
            col("node", text("node")),
            col("path", text("path")),
            col("role", text("role")),
            num("capacity", size("capacityBytes")),
            num("free", size("freeBytes")),
            col("id", text("id")));

    static final List<Column> POOL = List.of(
            col("name", text("name")),
            num("replication", text("replicationFactor")),
            col("provisioning", lower("provisioning")),
            col("failure domain", lower("failureDomain")),
            num("iops limit", n -> limit(n.path("qos").path("iopsLimit"), false)),
            num("bandwidth limit", n -> limit(n.path("qos").path("bandwidthLimitBytes"), true)),
            num("volumes", text("volumes")),
            num("allocated", size("allocatedBytes")));

    static final List<Column> VOLUME = List.of(
            col("name", text("name")),
            col("pool", text("pool")),
            num("size", size("sizeBytes")),
            col("provisioning", lower("provisioning")),
            col("state", text("state")),
            col("serving node", text("servingNode")),
            num("extents", text("extents")),
            show("iops limit", n -> limit(n.path("qos").path("iopsLimit"), false)),
            show("bandwidth limit", n -> limit(n.path("qos").path("bandwidthLimitBytes"), true)),
            show("qos from", lower("qosSource")),
            show("extent size", size("extentSize")),
            col("created", time("createdAt")),
            show("id", text("id")),
            show("naa", text("naa")),
            show("physical block", physicalBlock()));

    static final List<Column> VOLUME_EXTENT = List.of(
            num("index", text("index")),
            col("id", text("id")),
            col("leader", text("leader")),
            col("replicas", join("replicas")),
            num("epoch", text("epoch")),
            col("under-replicated", n -> n.path("underReplicated").asBoolean() ? "yes" : "no"));

    static final List<Column> EXTENT = List.of(
            col("volume", text("volume")),
            num("index", text("index")),
            col("id", text("id")),
            col("leader", text("leader")),
            col("replicas", join("replicas")),
            num("epoch", text("epoch")));

    static final List<Column> SNAPSHOT = List.of(
            col("name", text("name")),
            col("volume", text("volume")),
            num("size", size("sizeBytes")),
            col("created", time("createdAt")),
            col("id", text("id")));

    static final List<Column> TARGET = List.of(
            col("iqn", text("iqn")),
            col("alias", text("alias")),
            col("luns", Views::luns),
            col("allowed initiators", join("allowedInitiators")),
            col("chap user", n -> text("username").apply(n.path("chap"))),
            col("mutual chap user", n -> text("mutualUsername").apply(n.path("chap"))));

    static final List<Column> DISCOVERY_AUTH = List.of(
            col("chap required", n -> n.path("required").asBoolean() ? "yes" : "no"),
            col("chap user", n -> text("username").apply(n.path("chap"))),
            col("mutual chap user", n -> text("mutualUsername").apply(n.path("chap"))));

    static final List<Column> SESSION = List.of(
            col("initiator", text("initiator")),
            col("from", text("initiatorAddress")),
            col("node", text("node")),
            col("isid", text("isid")),
            num("tsih", text("tsih")));

    private Views() {
    }

    private static Column col(final String header, final Function<JsonNode, String> value) {
        return new Column(header, value, false, true);
    }

    private static Column num(final String header, final Function<JsonNode, String> value) {
        return new Column(header, value, true, true);
    }

    private static Column show(final String header, final Function<JsonNode, String> value) {
        return new Column(header, value, false, false);
    }

    static Function<JsonNode, String> text(final String field) {
        return n -> {
            JsonNode v = n.path(field);
            if (v.isMissingNode() || v.isNull()) {
                return null;
            }
            return v.isValueNode() ? v.asText() : v.toString();
        };
    }

    private static Function<JsonNode, String> lower(final String field) {
        return n -> {
            String v = text(field).apply(n);
            return v == null ? null : v.toLowerCase(Locale.ROOT);
        };
    }

    /** "4 KiB (512e)" or "512 B (512n)": the physical block a volume's LUNs report, by the name admins know. */
    private static Function<JsonNode, String> physicalBlock() {
        return n -> {
            String bytes = size("physicalBlockBytes").apply(n);
            int value = n.path("physicalBlockBytes").asInt();
            return bytes == null ? null : bytes + (value == 512 ? " (512n)" : value == 4096 ? " (512e)" : "");
        };
    }

    private static Function<JsonNode, String> size(final String field) {
        return n -> {
            JsonNode v = n.path(field);
            return v.canConvertToLong() && v.isIntegralNumber() ? Sizes.format(v.asLong()) : text(field).apply(n);
        };
    }

    private static String limit(final JsonNode v, final boolean bytes) {
        if (!v.isIntegralNumber()) {
            return v.isMissingNode() || v.isNull() ? "unlimited" : v.asText();
        }
        if (v.asLong() == 0) {
            return "unlimited";
        }
        return bytes ? Sizes.format(v.asLong()) + "/s" : v.asText();
    }

    private static Function<JsonNode, String> join(final String field) {
        return n -> {
            JsonNode v = n.path(field);
            if (!v.isArray()) {
                return text(field).apply(n);
            }
            List<String> parts = new ArrayList<>();
            v.forEach(e -> parts.add(e.asText()));
            return String.join(",", parts);
        };
    }

    /** The API's {@code createdAt}: epoch milliseconds are shown as UTC, strings as they come. */
    private static Function<JsonNode, String> time(final String field) {
        return n -> {
            JsonNode v = n.path(field);
            if (v.isIntegralNumber()) {
                return Instant.ofEpochMilli(v.asLong()).truncatedTo(ChronoUnit.SECONDS).toString();
            }
            return text(field).apply(n);
        };
    }

    private static String heartbeat(final JsonNode n) {
        JsonNode v = n.path("lastHeartbeatMillisAgo");
        if (!v.isNumber()) {
            return null;
        }
        long ms = v.asLong();
        return ms < 1000 ? ms + " ms ago" : String.format(Locale.ROOT, "%.1f s ago", ms / 1000.0);
    }

    private static String luns(final JsonNode n) {
        JsonNode v = n.path("luns");
        if (!v.isArray()) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        v.forEach(l -> parts.add(l.path("lun").asText() + "=" + l.path("volume").asText()
                + (l.path("readOnly").asBoolean() ? ":ro" : "")));
        return String.join(",", parts);
    }
}
