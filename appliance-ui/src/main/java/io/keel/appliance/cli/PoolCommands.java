package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

        @Mixin
        QosLimitOptions limits;

        @Override
        void run(final ApiClient api, final Output out) {
            ObjectNode body = ApiClient.object().put("name", name).put("replicationFactor", replication);
            if (provisioning != null) {
                body.put("provisioning", provisioning.name());
            }
            if (failureDomain != null) {
                body.put("failureDomain", failureDomain.name());
            }
            if (limits.given()) {
                body.set("qos", limits.qos(this, ApiClient::object)); // a limit not given is 0: unlimited
            }
            out.result(api.post("/pools", body), Views.POOL, "created pool " + name);
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

        @Mixin
        QosLimitOptions limits;

        @Override
        void run(final ApiClient api, final Output out) {
            if (!limits.given()) {
                throw usage("nothing to change: give --iops-limit and/or --bandwidth-limit");
            }
            // The contract does not say whether a PATCH merges inside "qos"; sending both limits
            // means the one not given keeps its value under either reading.
            ObjectNode body = ApiClient.object();
            body.set("qos", limits.qos(this, () -> api.get(ApiClient.path("pools", name)).path("qos")));
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
