package io.keel.appliance.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keel snapshot ...}: point-in-time snapshots of a volume. */
@Command(name = "snapshot", description = "Snapshots of a volume.",
        subcommands = {SnapshotCommands.Create.class, SnapshotCommands.ListSnapshots.class,
            SnapshotCommands.Delete.class})
final class SnapshotCommands extends GroupCommand {

    @Command(name = "create", description = "Snapshot a volume.")
    static final class Create extends ApiCommand {

        @Parameters(index = "0", paramLabel = "VOLUME", description = "the volume")
        String volume;

        @Parameters(index = "1", paramLabel = "NAME",
                description = "the snapshot's name, 1-63 characters of a-z 0-9 . _ -")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.result(api.post(ApiClient.path("volumes", volume, "snapshots"), ApiClient.object().put("name", name)),
                    Views.SNAPSHOT, "created snapshot " + name + " of volume " + volume);
        }
    }

    @Command(name = "list", description = "List a volume's snapshots.")
    static final class ListSnapshots extends ApiCommand {

        @Parameters(paramLabel = "VOLUME", description = "the volume")
        String volume;

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get(ApiClient.path("volumes", volume, "snapshots")), Views.SNAPSHOT);
        }
    }

    @Command(name = "delete", description = "Delete a snapshot.")
    static final class Delete extends ApiCommand {

        @Parameters(index = "0", paramLabel = "VOLUME", description = "the volume")
        String volume;

        @Parameters(index = "1", paramLabel = "NAME", description = "the snapshot")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.result(api.delete(ApiClient.path("volumes", volume, "snapshots", name)), Views.SNAPSHOT,
                    "deleted snapshot " + name + " of volume " + volume);
        }
    }
}
