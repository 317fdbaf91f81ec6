package io.keel.appliance.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The read-only resources: the cluster, its nodes and disks, and extents that need repair. */
final class InventoryCommands {

    private InventoryCommands() {
    }

    @Command(name = "cluster", description = "The cluster as a whole.",
            subcommands = {ClusterStatus.class, ClusterHealth.class})
    static final class Cluster extends GroupCommand {
    }

    @Command(name = "status", description = "Show the cluster id, the meta leader and how many nodes are up.")
    static final class ClusterStatus extends ApiCommand {

        @Override
        void run(final ApiClient api, final Output out) {
            out.show(api.get("/cluster"), Views.CLUSTER);
        }
    }

    @Command(name = "health", description = "Show whether the cluster is ok or degraded (needs no password).")
    static final class ClusterHealth extends ApiCommand {

        @Override
        void run(final ApiClient api, final Output out) {
            out.show(api.getUnauthenticated("/health"), Views.HEALTH);
        }
    }

    @Command(name = "node", description = "The appliance's nodes (they register themselves).",
            subcommands = {NodeList.class, NodeShow.class})
    static final class Nodes extends GroupCommand {
    }

    @Command(name = "list", description = "List the nodes.")
    static final class NodeList extends ApiCommand {

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get("/nodes"), Views.NODE);
        }
    }

    @Command(name = "show", description = "Show one node.")
    static final class NodeShow extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the node's name")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.show(api.get(ApiClient.path("nodes", name)), Views.NODE);
        }
    }

    @Command(name = "disk", description = "The nodes' data disks.", subcommands = DiskList.class)
    static final class Disks extends GroupCommand {
    }

    @Command(name = "list", description = "List every node's disks.")
    static final class DiskList extends ApiCommand {

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get("/disks"), Views.DISK);
        }
    }

    @Command(name = "extent", description = "Extents across all volumes.", subcommands = ExtentList.class)
    static final class Extents extends GroupCommand {
    }

    @Command(name = "list", description = "List the extents with a replica on a node that is down.")
    static final class ExtentList extends ApiCommand {

        // API v1 lists extents only by this filter; the option keeps the command line honest about it.
        @Option(names = "--under-replicated", required = true, order = 1,
                description = "only extents with a replica on a node that is down (required: API v1 lists no others)")
        boolean underReplicated;

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get("/extents?underReplicated=true"), Views.EXTENT);
        }
    }
}
