package io.keel.appliance.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * The node's permanent id, kept in {@code <dataDir>/node.id}: made once at first start, then
 * read at every start, so that the node's devices and metadata keep naming the same node.
 */
public final class NodeIdentity {

    static final String FILE_NAME = "node.id";

    private NodeIdentity() {
    }

    /** Reads the node id from {@code dataDir}, creating it (durably) when the node is new. */
    public static UUID loadOrCreate(final Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            try {
                return UUID.fromString(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " does not hold a node id (a UUID) but '" + abbreviate(text)
                        + "'; restore it from a backup or remove the data directory to start as a new node", e);
            }
        }
        UUID id = UUID.randomUUID();
        writeDurably(file, id.toString() + "\n");
        return id;
    }

    /**
     * Writes {@code text} to {@code file} so that a crash leaves either no file or all of it. The
     * file is readable by its owner only from its creation on: it may hold a secret.
     */
    public static void writeDurably(final Path file, final String text) throws IOException {
        Files.createDirectories(file.getParent());
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    private static String abbreviate(final String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
