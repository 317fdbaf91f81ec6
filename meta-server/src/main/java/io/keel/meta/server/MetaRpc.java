package io.keel.meta.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.EntryFormatException;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.log.LeaderInfo;
import io.keel.meta.log.NotLeaderException;
import io.keel.runtime.rpc.RpcServer;
import io.keel.runtime.rpc.RpcStatusException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The meta service on the internal RPC (docs/meta-rpc.md): submitting a change to the leader and
 * a node's heartbeat. Every request carries an HMAC-SHA256 of its body under the cluster key, so
 * only nodes of the cluster can change metadata.
 */
public final class MetaRpc {

    /** Submit a change: body = a log entry (CommandCodec); reply = the ChangeResult as JSON. */
    public static final int SUBMIT = 0x0200;
    /** A node's heartbeat: body = HeartbeatReport as JSON; empty reply. */
    public static final int HEARTBEAT = 0x0201;

    /** This member does not lead; the message is the leader's published address, or empty. */
    public static final int STATUS_NOT_LEADER = 200;
    /** The request's HMAC does not match: the caller does not hold this cluster's key. */
    public static final int STATUS_UNAUTHENTICATED = 201;
    /** The request does not parse. */
    public static final int STATUS_BAD_REQUEST = 202;

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final int MAC_BYTES = 32;

    private final byte[] clusterKey;

    /** Requests signed and checked with {@code clusterKey}. */
    public MetaRpc(final byte[] clusterKey) {
        this.clusterKey = clusterKey.clone();
    }

    /** Serves {@code meta} on {@code server}. */
    public void serve(final RpcServer server, final MetaService meta) {
        server.register(SUBMIT, request -> {
            byte[] body = verified(request);
            MetaCommand command;
            try {
                command = CommandCodec.decode(body);
            } catch (EntryFormatException | IllegalArgumentException e) {
                throw new RpcStatusException(STATUS_BAD_REQUEST, "not a change: " + e.getMessage());
            }
            try {
                return ByteBuffer.wrap(JSON.writeValueAsBytes(meta.submit(command)));
            } catch (NotLeaderException e) {
                throw notLeader(meta);
            }
        });
        server.register(HEARTBEAT, request -> {
            byte[] body = verified(request);
            HeartbeatReport report;
            try {
                report = JSON.readValue(body, HeartbeatReport.class);
            } catch (IOException e) {
                throw new RpcStatusException(STATUS_BAD_REQUEST, "not a heartbeat: " + e.getMessage());
            }
            try {
                meta.heartbeat(report);
            } catch (NotLeaderException e) {
                throw notLeader(meta);
            }
            return null;
        });
    }

    private static RpcStatusException notLeader(final MetaService meta) {
        return new RpcStatusException(STATUS_NOT_LEADER, meta.leader().map(LeaderInfo::address).orElse(""));
    }

    /** A request body for {@code command}, signed. */
    ByteBuffer signedSubmit(final MetaCommand command) {
        return signed(CommandCodec.encode(command));
    }

    /** A request body for {@code report}, signed. */
    ByteBuffer signedHeartbeat(final HeartbeatReport report) throws IOException {
        return signed(JSON.writeValueAsBytes(report));
    }

    static ChangeResult parseResult(final ByteBuffer reply) throws IOException {
        byte[] bytes = new byte[reply.remaining()];
        reply.get(bytes);
        return JSON.readValue(bytes, ChangeResult.class);
    }

    ByteBuffer signed(final byte[] body) {
        ByteBuffer out = ByteBuffer.allocate(MAC_BYTES + body.length);
        out.put(mac(body)).put(body).flip();
        return out;
    }

    private byte[] verified(final ByteBuffer request) throws RpcStatusException {
        if (request.remaining() < MAC_BYTES) {
            throw new RpcStatusException(STATUS_BAD_REQUEST, "request shorter than its signature");
        }
        byte[] signature = new byte[MAC_BYTES];
        request.get(signature);
        byte[] body = new byte[request.remaining()];
        request.get(body);
        if (!MessageDigest.isEqual(signature, mac(body))) {
            throw new RpcStatusException(STATUS_UNAUTHENTICATED,
                    "the request is not signed with this cluster's key (check cluster.keyFile)");
        }
        return body;
    }

    private byte[] mac(final byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(clusterKey, "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal(body), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
