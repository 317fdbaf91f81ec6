package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** The {@code --iops-limit} and {@code --bandwidth-limit} options of pools and volumes, and the QoS body they make. */
final class QosLimitOptions {

    @Option(names = "--iops-limit", paramLabel = "N", order = 10,
            description = "QoS: I/O operations per second, 0 = unlimited")
    Long iopsLimit;

    @Option(names = "--bandwidth-limit", paramLabel = "SIZE", order = 11, converter = Converters.SizeConverter.class,
            description = "QoS: bytes per second, 0 = unlimited; " + Sizes.SYNTAX)
    Long bandwidthLimit;

    /** Whether either limit was given. */
    boolean given() {
        return iopsLimit != null || bandwidthLimit != null;
    }

    /**
     * The API's {@code qos} object: the limits given, and for one not given its value in
     * {@code current} (the limits that hold now, asked for only then; a missing value is 0).
     */
    ObjectNode qos(final ApiCommand command, final Supplier<JsonNode> current) {
        nonNegative(command, iopsLimit, "--iops-limit");
        nonNegative(command, bandwidthLimit, "--bandwidth-limit");
        JsonNode now = iopsLimit == null || bandwidthLimit == null ? current.get() : null;
        return ApiClient.object()
                .put("iopsLimit", iopsLimit != null ? iopsLimit : now.path("iopsLimit").asLong(0))
                .put("bandwidthLimitBytes", bandwidthLimit != null ? bandwidthLimit
                        : now.path("bandwidthLimitBytes").asLong(0));
    }

    private static void nonNegative(final ApiCommand command, final Long value, final String option) {
        if (value != null && value < 0) {
            throw command.usage(option + " must be 0 (unlimited) or more");
        }
    }
}
