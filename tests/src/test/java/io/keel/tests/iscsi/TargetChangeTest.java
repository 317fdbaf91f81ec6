package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keel.access.iscsi.RawInitiator;
import io.keel.access.iscsi.RawInitiator.Reply;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.tests.harness.Rest;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an admin changes on a target reaches the sessions logged in to it, on a running node: a LUN
 * mapped meanwhile is reported (REPORTED LUNS DATA HAS CHANGED) and listed, a reservation holds
 * across the change and through another target exporting the same volume, and deleting the target
 * ends its sessions.
 */
class TargetChangeTest {

    private static final String IQN = "iqn.2026-12.io.keel.test:changing";
    private static final String SECOND_TARGET = "iqn.2026-12.io.keel.test:same-volume";
    private static final int GOOD = 0x00;
    private static final int CHECK_CONDITION = 0x02;
    private static final int RESERVATION_CONFLICT = 0x18;
    private static final byte[] TEST_UNIT_READY = new byte[6];
    private static final byte[] RESERVE_6 = {0x16, 0, 0, 0, 0, 0};
    private static final byte[] REPORT_LUNS = {(byte) 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

    @TempDir
    Path dir;

    @Test
    void loggedInSessionsFollowTheLunMapAndEndWithTheTarget() throws Exception {
        try (IscsiNode keel = IscsiNode.start("target-change", dir.resolve("node"), 1L << 30)) {
            keel.createVolume("first", 64L << 20, true);
            keel.createVolume("second", 64L << 20, true);
            keel.createTarget(IQN, "first", "\"anyInitiator\": true");
            try (RawInitiator holder = loggedIn(keel, IQN, RawInitiator.NAME);
                    RawInitiator other = new RawInitiator(keel.iscsiPort);
                    RawInitiator viaSecondTarget = new RawInitiator(keel.iscsiPort)) {
                assertThat(holder.run(0, RESERVE_6, null).status()).as("RESERVE(6)").isEqualTo(GOOD);
                JsonNode sessions = awaitSessions(keel, IQN, 1);
                assertThat(sessions.get(0).get("initiator").asText()).isEqualTo(RawInitiator.NAME);
                assertThat(sessions.get(0).get("node").asText()).isEqualTo("target-change");
                assertThat(sessions.get(0).get("initiatorAddress").asText()).startsWith("127.0.0.1:");

                Rest.Reply malformed = keel.rest.put("/api/v1/targets/" + IQN, """
                        {"iqn": "%s", "luns": [{"lun": 0, "volume": "first", "readOnly": "maybe"}],
                         "anyInitiator": true}""".formatted(IQN));
                assertThat(malformed.status()).as("readOnly must be a boolean: " + malformed).isEqualTo(400);
                Rest.Reply changed = keel.rest.put("/api/v1/targets/" + IQN, """
                        {"iqn": "%s", "luns": [{"lun": 0, "volume": "first"},
                         {"lun": 1, "volume": "second", "readOnly": true}], "anyInitiator": true}""".formatted(IQN));
                assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
                assertThat(changed.body().get("luns").get(1).get("readOnly").asBoolean()).isTrue();
                assertThat(changed.body().get("luns").get(0).get("readOnly").asBoolean()).isFalse();
                Reply attention = awaitCheckCondition(holder);
                assertThat(attention.senseKeyAscAscq()).as("REPORTED LUNS DATA HAS CHANGED")
                        .containsExactly(0x6, 0x3f, 0x0e);
                Reply luns = holder.run(0, REPORT_LUNS, null);
                assertThat(luns.status()).isEqualTo(GOOD);
                assertThat(lunsListed(luns.data())).containsExactly(0, 1);

                login(other, IQN, "iqn.2026-12.io.keel.test:other");
                assertThat(other.run(0, RawInitiator.read10(0, 1), null).status())
                        .as("the RESERVE(6) made before the change still holds").isEqualTo(RESERVATION_CONFLICT);
                assertThat(other.run(1, TEST_UNIT_READY, null).senseKeyAscAscq()).as("the new LUN's power-on")
                        .containsExactly(0x6, 0x29, 0x00);
                assertThat(other.run(1, RawInitiator.read10(0, 1), null).status()).as("the new LUN")
                        .isEqualTo(GOOD);
                assertThat(other.run(1, RawInitiator.write10(0, 1), new byte[512]).senseKeyAscAscq())
                        .as("the new LUN is read-only: DATA PROTECT, WRITE PROTECTED").containsExactly(0x7, 0x27, 0x00);

                Rest.Reply mixed = keel.rest.post("/api/v1/targets", """
                        {"iqn": "%s", "luns": [{"lun": 0, "volume": "first", "readOnly": true}],
                         "anyInitiator": true}""".formatted(SECOND_TARGET));
                assertThat(mixed.status()).as("one volume, writable through one target and read-only through another: "
                        + mixed).isEqualTo(409);
                assertThat(mixed.message()).contains("exported writable by target " + IQN);
                keel.createTarget(SECOND_TARGET, "first", "\"anyInitiator\": true");
                login(viaSecondTarget, SECOND_TARGET, "iqn.2026-12.io.keel.test:third");
                assertThat(viaSecondTarget.run(0, RawInitiator.read10(0, 1), null).status())
                        .as("one volume, one set of reservations").isEqualTo(RESERVATION_CONFLICT);

                awaitSessions(keel, IQN, 2);
                assertThat(keel.rest.delete("/api/v1/targets/" + IQN).status()).isEqualTo(204);
                assertThat(logoutRequested(holder)).as("an Async Message asks the session to log out").isTrue();
                assertThat(holder.read()).as("the session is ended after the grace period").isNull();
                assertThat(keel.rest.get("/api/v1/targets/" + IQN + "/sessions").status()).as("a deleted target")
                        .isEqualTo(404);
            }
        }
    }

    private static RawInitiator loggedIn(final IscsiNode keel, final String iqn, final String initiator)
            throws Exception {
        RawInitiator session = new RawInitiator(keel.iscsiPort);
        login(session, iqn, initiator);
        return session;
    }

    /** Logs in and takes the power-on unit attention a new nexus finds. */
    private static void login(final RawInitiator session, final String iqn, final String initiator) throws Exception {
        Pdu response = session.loginFull(iqn, Map.of("InitiatorName", initiator));
        assertThat(RawInitiator.status(response)).as("login status").isZero();
        session.run(0, TEST_UNIT_READY, null);
    }

    /** TEST UNIT READY on LUN 0 until the node's periodic refresh (every 2 s) applies the change. */
    private static Reply awaitCheckCondition(final RawInitiator session) throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            Reply reply = session.run(0, TEST_UNIT_READY, null);
            if (reply.status() == CHECK_CONDITION) {
                return reply;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no unit attention within 10 s of the change");
    }

    /** The target's sessions once the REST API lists {@code count} (nodes report them in heartbeats). */
    private static JsonNode awaitSessions(final IscsiNode keel, final String iqn, final int count) throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            Rest.Reply reply = keel.rest.get("/api/v1/targets/" + iqn + "/sessions");
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            if (reply.body().size() == count) {
                return reply.body();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the REST API did not list " + count + " sessions of " + iqn + " within 10 s");
    }

    /** Whether an Async Message asking for logout arrives (NOP-In keep-alives are skipped). */
    private static boolean logoutRequested(final RawInitiator session) throws Exception {
        for (Pdu pdu = session.read(); pdu != null; pdu = session.read()) {
            if (pdu.opcode() == Opcode.ASYNC_MESSAGE) {
                return pdu.byteAt(36) == 1;
            }
        }
        return false;
    }

    private static List<Integer> lunsListed(final byte[] reportLuns) {
        ByteBuffer b = ByteBuffer.wrap(reportLuns);
        List<Integer> luns = new ArrayList<>();
        for (int i = 0; i < b.getInt(0) / 8; i++) {
            luns.add((b.get(8 + 8 * i) & 0x3f) << 8 | b.get(9 + 8 * i) & 0xff);
        }
        return luns;
    }
}
