package io.keel.appliance.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keel.meta.secret.SecretBox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster this node belongs to: its id and key, recorded in ZooKeeper by the first node that
 * starts (which also makes the key file when there is none). Every later node must hold the same
 * key, or it refuses to start: it could neither read the cluster's secrets nor sign its calls.
 *
 * @param clusterId the cluster's id, written into every device's superblock
 * @param key       the cluster key (32 bytes): seals secrets, signs internal calls
 * @param created   whether this node created the cluster just now
 */
public record ClusterMembership(UUID clusterId, byte[] key, boolean created) {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/cluster";

    /** The box that seals and opens secrets with the cluster key. */
    public SecretBox secretBox() {
        return new SecretBox(key);
    }

    /** Joins the cluster recorded under {@code client}'s namespace, or creates it. */
    public static ClusterMembership join(final CuratorFramework client, final Path keyFile) throws Exception {
        JsonNode existing = read(client);
        if (existing == null) {
            byte[] key = Files.exists(keyFile) ? readKey(keyFile) : writeNewKey(keyFile);
            UUID clusterId = UUID.randomUUID();
            String record = JSON.createObjectNode().put("format", 1).put("clusterId", clusterId.toString())
                    .put("keyId", new SecretBox(key).keyId()).toString();
            try {
                client.create().creatingParentsIfNeeded().forPath(PATH, record.getBytes(StandardCharsets.UTF_8));
                LOG.info("created cluster {} (key {} from {})", clusterId, new SecretBox(key).keyId(), keyFile);
                return new ClusterMembership(clusterId, key, true);
            } catch (KeeperException.NodeExistsException raced) {
                existing = read(client);
            }
        }
        if (!Files.exists(keyFile)) {
            throw new IOException("this node has no cluster key at " + keyFile + ", and the cluster "
                    + existing.path("clusterId").asText() + " exists already: copy the key file from one of its "
                    + "nodes (cluster.keyFile)");
        }
        byte[] key = readKey(keyFile);
        String keyId = new SecretBox(key).keyId();
        if (!keyId.equals(existing.path("keyId").asText())) {
            throw new IOException("the cluster key in " + keyFile + " (id " + keyId + ") is not the key of cluster "
                    + existing.path("clusterId").asText() + " (id " + existing.path("keyId").asText()
                    + "): copy the key file from one of its nodes");
        }
        return new ClusterMembership(UUID.fromString(existing.path("clusterId").asText()), key, false);
    }

    private static JsonNode read(final CuratorFramework client) throws Exception {
        try {
            JsonNode node = JSON.readTree(client.getData().forPath(PATH));
            if (node == null || node.path("format").asInt() != 1 || !node.hasNonNull("clusterId")) {
                throw new IOException("ZooKeeper node " + PATH + " is not a format-1 cluster record: " + node);
            }
            return node;
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    /** Reads a key file: 64 hex digits (whitespace around them ignored). */
    static byte[] readKey(final Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            byte[] key = HexFormat.of().parseHex(text);
            if (key.length == SecretBox.KEY_BYTES) {
                return key;
            }
        } catch (IllegalArgumentException e) {
            // fall through to the message below
        }
        throw new IOException("the cluster key file " + file + " must hold " + SecretBox.KEY_BYTES * 2
                + " hex digits");
    }

    private static byte[] writeNewKey(final Path file) throws IOException {
        byte[] key = SecretBox.generateKey();
        NodeIdentity.writeDurably(file, HexFormat.of().formatHex(key) + "\n");
        return key;
    }
}
