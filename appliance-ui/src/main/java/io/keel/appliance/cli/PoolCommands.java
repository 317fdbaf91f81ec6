package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keel pool ...}: storage pools, their replication, provisioning and QoS limits. */
@Command(name = "pool", description = "Storage pools: replication, provisioning, failure domain and QoS.",
        subcommands = {
            PoolCommands.Create.class,
            PoolCommands.ListPools.class,
            PoolCommands.Show.class,
            PoolCommands.Update.class,
            PoolCommands.Delete.class,
        })
final class PoolCommands extends GroupCommand {

    /** The pool's provisioning, as typed on the command line. */
    enum Provisioning { THIN, THICK }

    /** The level replicas of an extent are spread across. */
    enum FailureDomain { NODE, RACK, SITE }

    @Command(name = "create", description = "Create a pool.")
    static final class Create extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "1-63 characters of a-z 0-9 . _ -")
        String name;

        @Option(names = "--replication", required = true, paramLabel = "N", order = 1,
                description = "replicas of every extent, 1-3")
        int replication;

        @Option(names = "--provisioning", paramLabel = "thin|thick", order = 2,
                description = "thin allocates on write, thick reserves the full size (default: thin)")
        Provisioning provisioning;

        @Option(names = "--failure-domain", paramLabel = "node|rack|site", order = 3,
                description = "keep replicas on different nodes, racks or sites (default: node)")
        FailureDomain failureDomain;

        @Option(names = "--iops-limit", paramLabel = "N", order = 4,
                description = "QoS: I/O operations per second, 0 = unlimited")
        Long iopsLimit;

        @Option(names = "--bandwidth-limit", paramLabel = "SIZE", order = 5, converter = Converters.SizeConverter.class,
                description = "QoS: bytes per second, 0 = unlimited; " + Sizes.SYNTAX)
        Long bandwidthLimit;

        @Override
        void run(final ApiClient api, final Output out) {
            ObjectNode body = ApiClient.object().put("name", name).put("replicationFactor", replication);
            if (provisioning != null) {
                body.put("provisioning", provisioning.name());
            }
            if (failureDomain != null) {
                body.put("failureDomain", failureDomain.name());
            }
            if (iopsLimit != null || bandwidthLimit != null) {
                ObjectNode qos = body.putObject("qos");
                qos.put("iopsLimit", nonNegative(iopsLimit, "--iops-limit"));
                qos.put("bandwidthLimitBytes", nonNegative(bandwidthLimit, "--bandwidth-limit"));
            }
            out.result(api.post("/pools", body), Views.POOL, "created pool " + name);
        }

        private long nonNegative(final Long value, final String option) {
            if (value != null && value < 0) {
                throw usage(option + " must be 0 (unlimited) or more");
            }
            return value == null ? 0 : value;
        }
    }

    @Command(name = "list", description = "List the pools.")
    static final class ListPools extends ApiCommand {

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get("/pools"), Views.POOL);
        }
    }

    @Command(name = "show", description = "Show one pool.")
    static final class Show extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the pool")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.show(api.get(ApiClient.path("pools", name)), Views.POOL);
        }
    }

    @Command(name = "update", description = {"Change a pool's QoS limits.",
        "A limit not given keeps its current value (read from the pool first)."})
    static final class Update extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the pool")
        String name;

        @Option(names = "--iops-limit", paramLabel = "N", order = 1,
                description = "QoS: I/O operations per second, 0 = unlimited")
        Long iopsLimit;

        @Option(names = "--bandwidth-limit", paramLabel = "SIZE", order = 2, converter = Converters.SizeConverter.class,
                description = "QoS: bytes per second, 0 = unlimited; " + Sizes.SYNTAX)
        Long bandwidthLimit;

        @Override
        void run(final ApiClient api, final Output out) {
            if (iopsLimit == null && bandwidthLimit == null) {
                throw usage("nothing to change: give --iops-limit and/or --bandwidth-limit");
            }
            if ((iopsLimit != null && iopsLimit < 0) || (bandwidthLimit != null && bandwidthLimit < 0)) {
                throw usage("limits must be 0 (unlimited) or more");
            }
            ObjectNode qos = ApiClient.object();
            if (iopsLimit == null || bandwidthLimit == null) {
                // The contract does not say whether a PATCH merges inside "qos"; sending both limits
                // means the one not given keeps its value under either reading.
                JsonNode current = api.get(ApiClient.path("pools", name)).path("qos");
                qos.put("iopsLimit", iopsLimit != null ? iopsLimit : current.path("iopsLimit").asLong(0));
                qos.put("bandwidthLimitBytes", bandwidthLimit != null ? bandwidthLimit
                        : current.path("bandwidthLimitBytes").asLong(0));
            } else {
                qos.put("iopsLimit", iopsLimit).put("bandwidthLimitBytes", bandwidthLimit);
            }
            ObjectNode body = ApiClient.object();
            body.set("qos", qos);
            out.result(api.patch(ApiClient.path("pools", name), body), Views.POOL, "updated pool " + name);
        }
    }

    @Command(name = "delete", description = "Delete a pool; it must have no volumes.")
    static final class Delete extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the pool")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.result(api.delete(ApiClient.path("pools", name)), Views.POOL, "deleted pool " + name);
        }
    }
}
