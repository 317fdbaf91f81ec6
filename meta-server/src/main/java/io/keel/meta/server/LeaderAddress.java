package io.keel.meta.server;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach a meta member: its node name, REST base URL and internal RPC address. A member
 * publishes this, encoded as {@code name=..;rest=..;rpc=..}, as its address in the meta log, so
 * whoever reads the current leader knows where to send API requests and internal calls.
 *
 * @param nodeName   the node's name
 * @param restUrl    the node's REST base URL, e.g. {@code http://10.0.0.1:8080}
 * @param rpcAddress the node's internal RPC address, {@code host:port}
 */
public record LeaderAddress(String nodeName, String restUrl, String rpcAddress) {

    /** The published form. */
    public String encode() {
        return "name=" + nodeName + ";rest=" + restUrl + ";rpc=" + rpcAddress;
    }

    /** Parses a published address; empty when it is not one (e.g. written by another version). */
    public static Optional<LeaderAddress> parse(final String text) {
        if (text == null) {
            return Optional.empty();
        }
        Map<String, String> fields = new HashMap<>();
        for (String part : text.split(";")) {
            int equals = part.indexOf('=');
            if (equals > 0) {
                fields.put(part.substring(0, equals), part.substring(equals + 1));
            }
        }
        if (!fields.containsKey("name") || !fields.containsKey("rest") || !fields.containsKey("rpc")) {
            return Optional.empty();
        }
        return Optional.of(new LeaderAddress(fields.get("name"), fields.get("rest"), fields.get("rpc")));
    }
}
