package io.keel.meta.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes commands as log entries: UTF-8 JSON {@code {"v":1,"type":"CreatePool","command":{...}}},
 * where {@code v} is {@link #FORMAT_VERSION}, {@code type} one of the stable names below and
 * {@code command} the record's fields. Type names are part of the format: never rename one.
 */
public final class CommandCodec {

    /** The entry format this build writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    private static final Map<String, Class<? extends MetaCommand>> TYPES = new LinkedHashMap<>();
    private static final Map<Class<? extends MetaCommand>, String> NAMES = new LinkedHashMap<>();

    static {
        register("RegisterNode", RegisterNode.class);
        register("SetNodeState", SetNodeState.class);
        register("UpdateNodeLabels", UpdateNodeLabels.class);
        register("RegisterDisk", RegisterDisk.class);
        register("RemoveDisk", RemoveDisk.class);
        register("CreatePool", CreatePool.class);
        register("UpdatePool", UpdatePool.class);
        register("DeletePool", DeletePool.class);
        register("CreateVolume", CreateVolume.class);
        register("ResizeVolume", ResizeVolume.class);
        register("DeleteVolume", DeleteVolume.class);
        register("SetVolumeServingNode", SetVolumeServingNode.class);
        register("SetVolumeQos", SetVolumeQos.class);
        register("SetScsiReservations", SetScsiReservations.class);
        register("CreateSnapshot", CreateSnapshot.class);
        register("DeleteSnapshot", DeleteSnapshot.class);
        register("CreateTarget", CreateTarget.class);
        register("UpdateTarget", UpdateTarget.class);
        register("DeleteTarget", DeleteTarget.class);
        register("SetAdminCredential", SetAdminCredential.class);
        register("SetDiscoveryChap", SetDiscoveryChap.class);
        register("ReplaceExtentReplicas", ReplaceExtentReplicas.class);
    }

    private CommandCodec() {
    }

    private static void register(final String name, final Class<? extends MetaCommand> type) {
        TYPES.put(name, type);
        NAMES.put(type, name);
    }

    /** The log entry for {@code command}. */
    public static byte[] encode(final MetaCommand command) {
        final ObjectNode root = MetaJson.mapper().createObjectNode();
        root.put("v", FORMAT_VERSION);
        root.put("type", NAMES.get(command.getClass()));
        root.set("command", MetaJson.mapper().valueToTree(command));
        return MetaJson.toBytes(root);
    }

    /** The command in a log entry. */
    public static MetaCommand decode(final byte[] entry) {
        final JsonNode root;
        try {
            root = MetaJson.tree(entry);
        } catch (IOException e) {
            throw new EntryFormatException("entry is not JSON", false, e);
        }
        if (root == null || !root.isObject() || !root.path("v").isInt()) {
            throw new EntryFormatException("entry has no format version", false, null);
        }
        final int version = root.get("v").intValue();
        if (version > FORMAT_VERSION) {
            throw new EntryFormatException("entry has format version " + version + ", this build reads up to "
                    + FORMAT_VERSION + "; upgrade this node", true, null);
        }
        if (version < 1) {
            throw new EntryFormatException("entry has format version " + version, false, null);
        }
        // A type, field or enum value this build does not know was written by a newer build
        // (commands, fields and values are only ever added): skipping the entry would let this
        // replica diverge. A missing or empty type is just malformed.
        final JsonNode typeName = root.path("type");
        if (!typeName.isTextual() || typeName.textValue().isEmpty()) {
            throw new EntryFormatException("entry has no type", false, null);
        }
        final Class<? extends MetaCommand> type = TYPES.get(typeName.textValue());
        if (type == null) {
            throw new EntryFormatException("entry has type '" + typeName.textValue()
                    + "', unknown to this build; upgrade this node", true, null);
        }
        try {
            final MetaCommand command = MetaJson.mapper().treeToValue(root.get("command"), type);
            if (command == null) {
                throw new EntryFormatException("entry has no command", false, null);
            }
            return command;
        } catch (UnrecognizedPropertyException e) {
            throw new EntryFormatException("entry's " + type.getSimpleName() + " has field '" + e.getPropertyName()
                    + "', unknown to this build; upgrade this node", true, e);
        } catch (InvalidFormatException e) {
            final boolean newerValue = e.getTargetType() != null && e.getTargetType().isEnum();
            throw new EntryFormatException("entry's " + type.getSimpleName() + (newerValue ? " has value '"
                    + e.getValue() + "', unknown to this build; upgrade this node" : " does not parse"), newerValue, e);
        } catch (IOException | IllegalArgumentException e) {
            throw new EntryFormatException("entry's " + type.getSimpleName() + " does not parse", false, e);
        }
    }

    /** The change id of an entry that does not decode, if it can be found; {@code null} otherwise. */
    public static String changeIdOf(final byte[] entry) {
        try {
            final JsonNode id = MetaJson.tree(entry).path("command").path("changeId");
            return id.isTextual() ? id.textValue() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The stable type name of a command class. */
    public static String typeName(final Class<? extends MetaCommand> type) {
        return NAMES.get(type);
    }
}
