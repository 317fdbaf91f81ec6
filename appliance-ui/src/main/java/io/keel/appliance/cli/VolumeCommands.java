package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keel volume ...}: block volumes, their size, placement and extents. */
@Command(name = "volume", description = "Block volumes: create, resize, QoS, delete, and where their extents live.",
        subcommands = {
            VolumeCommands.Create.class,
            VolumeCommands.ListVolumes.class,
            VolumeCommands.Show.class,
            VolumeCommands.Resize.class,
            VolumeCommands.Qos.class,
            VolumeCommands.Delete.class,
            VolumeCommands.Extents.class,
        })
final class VolumeCommands extends GroupCommand {

    private static final long ALIGNMENT = 4096;

    static long checkedSize(final ApiCommand command, final long bytes) {
        if (bytes <= 0 || bytes % ALIGNMENT != 0) {
            // Caught here rather than by the server so that the message can speak in the user's units.
            throw command.usage("--size " + Sizes.format(bytes) + " (" + bytes + " bytes) is not a positive "
                    + "multiple of 4096 bytes (4K)");
        }
        return bytes;
    }

    @Command(name = "create", description = "Create a volume.")
    static final class Create extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "1-63 characters of a-z 0-9 . _ -")
        String name;

        @Option(names = "--pool", required = true, paramLabel = "POOL", order = 1,
                description = "the pool to create it in")
        String pool;

        @Option(names = "--size", required = true, paramLabel = "SIZE", order = 2,
                converter = Converters.SizeConverter.class,
                description = "a positive multiple of 4K; " + Sizes.SYNTAX)
        long size;

        @Option(names = "--serving-node", paramLabel = "NODE", order = 3,
                description = "the node whose access server serves it; one replica goes there when possible")
        String servingNode;

        @Option(names = "--physical-block-size", paramLabel = "SIZE", order = 4,
                converter = Converters.SizeConverter.class,
                description = {"the physical block size its LUNs report: 4K (512e, the default) or 512 (512n, for",
                    "guests or applications that need 512-byte physical sectors); cannot be changed later"})
        Long physicalBlockBytes;

        @Override
        void run(final ApiClient api, final Output out) {
            ObjectNode body = ApiClient.object().put("name", name).put("pool", pool)
                    .put("sizeBytes", checkedSize(this, size));
            if (servingNode != null) {
                body.put("servingNode", servingNode);
            }
            if (physicalBlockBytes != null) {
                body.put("physicalBlockBytes", physicalBlockBytes);
            }
            out.result(api.post("/volumes", body), Views.VOLUME, "created volume " + name);
        }
    }

    @Command(name = "list", description = "List the volumes.")
    static final class ListVolumes extends ApiCommand {

        @Option(names = "--pool", paramLabel = "POOL", order = 1, description = "only the volumes of this pool")
        String pool;

        @Override
        void run(final ApiClient api, final Output out) {
            String query = pool == null ? "" : "?pool=" + URLEncoder.encode(pool, StandardCharsets.UTF_8);
            out.list(api.get("/volumes" + query), Views.VOLUME);
        }
    }

    @Command(name = "show", description = "Show one volume.")
    static final class Show extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the volume")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.show(api.get(ApiClient.path("volumes", name)), Views.VOLUME);
        }
    }

    @Command(name = "resize", description = "Grow a volume (volumes never shrink).")
    static final class Resize extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the volume")
        String name;

        @Option(names = "--size", required = true, paramLabel = "SIZE", order = 1,
                converter = Converters.SizeConverter.class,
                description = "the new size, larger than the current one; " + Sizes.SYNTAX)
        long size;

        @Override
        void run(final ApiClient api, final Output out) {
            ObjectNode body = ApiClient.object().put("sizeBytes", checkedSize(this, size));
            out.result(api.patch(ApiClient.path("volumes", name), body), Views.VOLUME,
                    "resized volume " + name + " to " + Sizes.format(size));
        }
    }

    @Command(name = "qos", description = {"Give a volume QoS limits of its own, or return it to its pool's.",
        "A limit not given keeps the value that holds now (read from the volume first)."})
    static final class Qos extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the volume")
        String name;

        @Mixin
        QosLimitOptions limits;

        @Option(names = "--pool", order = 12, description = "drop the volume's own limits: its pool's hold again")
        boolean pool;

        @Override
        void run(final ApiClient api, final Output out) {
            if (pool == limits.given()) {
                throw usage(pool ? "--pool takes no limits with it" : "nothing to change: give --iops-limit and/or "
                        + "--bandwidth-limit, or --pool");
            }
            ObjectNode body = ApiClient.object();
            if (pool) {
                body.put("poolQos", true);
            } else {
                body.set("qos", limits.qos(this, () -> api.get(ApiClient.path("volumes", name)).path("qos")));
            }
            String done = pool ? "volume " + name + " follows its pool's QoS limits"
                    : "updated the QoS limits of volume " + name;
            out.result(api.patch(ApiClient.path("volumes", name), body), Views.VOLUME, done);
        }
    }

    @Command(name = "delete", description = "Delete a volume; it must not be exported or have snapshots.")
    static final class Delete extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the volume")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.result(api.delete(ApiClient.path("volumes", name)), Views.VOLUME, "deleted volume " + name);
        }
    }

    @Command(name = "extents", description = "List a volume's extents, their replicas and leaders.")
    static final class Extents extends ApiCommand {

        @Parameters(paramLabel = "NAME", description = "the volume")
        String name;

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get(ApiClient.path("volumes", name, "extents")), Views.VOLUME_EXTENT);
        }
    }
}
