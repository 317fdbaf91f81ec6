package io.keel.meta.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The term znode's data: JSON, so that an operator can read who leads with {@code zkCli get}.
 * Term 0 is the value the znode is created with, before anyone led.
 */
final class TermCodec {

    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TermCodec() {
    }

    static byte[] encode(final LeaderInfo info) {
        ObjectNode node = JSON.createObjectNode();
        node.put("format", FORMAT);
        node.put("term", info.term());
        node.put("memberId", info.memberId());
        node.put("address", info.address());
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the term record", e);
        }
    }

    static LeaderInfo decode(final String where, final byte[] data) {
        JsonNode node;
        try {
            node = JSON.readTree(data);
        } catch (IOException e) {
            throw new LogFormatException("term znode " + where + " is not JSON: " + e.getMessage());
        }
        if (node == null || !node.path("term").canConvertToLong() || node.path("format").asInt(-1) != FORMAT) {
            throw new LogFormatException("term znode " + where + " is not a format-" + FORMAT + " term record: "
                    + node);
        }
        return new LeaderInfo(node.path("term").asLong(), node.path("memberId").asText(""),
                node.path("address").asText(""));
    }
}
