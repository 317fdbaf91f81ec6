package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.iscsi.RawInitiator;
import io.keel.access.iscsi.RawInitiator.Reply;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.scsi.CopyParameters;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EXTENDED COPY between targets on a running node (what ESXi's clone offload does when the source
 * and destination datastores are LUNs of different targets): a session copies into and out of a
 * volume of another target only when it could log in to that target with what it proved at its
 * own login (the initiator admitted, no CHAP or the same CHAP); otherwise the copy aborts with
 * COPY TARGET DEVICE NOT REACHABLE and neither volume changes. Copy targets are named by the NAA identifier
 * the REST API shows for each volume.
 */
class CrossTargetCopyTest {

    private static final String INITIATOR = "iqn.2026-12.io.keel.test:copier";
    private static final String OTHER_INITIATOR = "iqn.2026-12.io.keel.test:someone-else";
    private static final String SOURCE = "iqn.2026-12.io.keel.test:copy-source";
    private static final String DESTINATION = "iqn.2026-12.io.keel.test:copy-destination";
    private static final String NOT_ADMITTED = "iqn.2026-12.io.keel.test:copy-not-admitted";
    private static final String CHAP = "iqn.2026-12.io.keel.test:copy-chap";
    private static final int GOOD = 0x00;
    private static final int CHECK_CONDITION = 0x02;
    private static final int BLOCK = 512;
    private static final int BLOCKS = 64;
    private static final byte[] TEST_UNIT_READY = new byte[6];

    @TempDir
    Path dir;

    @Test
    void aCopyReachesOnlyTheTargetsItsSessionCouldLogInTo() throws Exception {
        try (IscsiNode keel = IscsiNode.start("cross-target-copy", dir.resolve("node"), 1L << 30)) {
            for (String volume : List.of("source", "destination", "not-admitted", "chap")) {
                keel.createVolume(volume, 16L << 20, true);
            }
            String admitted = "\"allowedInitiators\": [\"" + INITIATOR + "\"]";
            keel.createTarget(SOURCE, "source", admitted);
            keel.createTarget(DESTINATION, "destination", admitted);
            keel.createTarget(NOT_ADMITTED, "not-admitted", "\"allowedInitiators\": [\"" + OTHER_INITIATOR + "\"]");
            keel.createTarget(CHAP, "chap", admitted + """
                    , "chap": {"username": "copier", "secret": "copier-secret-1"}""");
            byte[] source = naa(keel, "source");
            byte[] destination = naa(keel, "destination");

            try (RawInitiator copier = loggedIn(keel, SOURCE, INITIATOR);
                    RawInitiator reader = loggedIn(keel, DESTINATION, INITIATOR);
                    RawInitiator other = loggedIn(keel, NOT_ADMITTED, OTHER_INITIATOR)) {
                assertThat(identifier(copier)).as("VPD 83h shows the NAA the REST API gives").isEqualTo(source);
                byte[] pattern = pattern(BLOCKS * BLOCK, 29);
                assertThat(copier.run(0, RawInitiator.write10(0, BLOCKS), pattern).status()).isEqualTo(GOOD);
                byte[] secret = pattern(BLOCKS * BLOCK, 71);
                assertThat(other.run(0, RawInitiator.write10(0, BLOCKS), secret).status()).isEqualTo(GOOD);

                Reply copied = copier.run(0, xcopy(1, source, destination, 0, 100), parametersOf(1, source, destination,
                        0, 100));
                assertThat(copied.status()).as("copy into another target's volume: " + sense(copied))
                        .isEqualTo(GOOD);
                assertThat(read(reader, 100)).as("the destination holds the source's blocks").isEqualTo(pattern);

                byte[] notAdmitted = naa(keel, "not-admitted");
                assertUnreachable(copier.run(0, xcopy(2, source, notAdmitted, 0, 0),
                        parametersOf(2, source, notAdmitted, 0, 0)), "into a target that does not admit the initiator");
                assertThat(read(other, 0)).as("the other target's volume is untouched").isEqualTo(secret);
                assertUnreachable(copier.run(0, xcopy(3, notAdmitted, source, 0, 200),
                        parametersOf(3, notAdmitted, source, 0, 200)), "out of a target that does not admit it");
                assertThat(read(copier, 200)).as("nothing was copied out of it").isEqualTo(new byte[BLOCKS * BLOCK]);

                byte[] chap = naa(keel, "chap");
                assertUnreachable(copier.run(0, xcopy(4, source, chap, 0, 0), parametersOf(4, source, chap, 0, 0)),
                        "into a CHAP target from a session that proved no CHAP");
            }
        }
    }

    private static void assertUnreachable(final Reply reply, final String what) {
        assertThat(reply.status()).as(what).isEqualTo(CHECK_CONDITION);
        assertThat(reply.senseKeyAscAscq()).as(what + ": COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE")
                .containsExactly(0x0a, 0x0d, 0x02);
    }

    /** The volume's NAA identifier from the REST API's {@code naa.<hex>} name. */
    private static byte[] naa(final IscsiNode keel, final String volume) throws Exception {
        String name = keel.rest.get("/api/v1/volumes/" + volume).body().get("naa").asText();
        assertThat(name).startsWith("naa.6").hasSize(4 + 32);
        return HexFormat.of().parseHex(name.substring(4));
    }

    /** The NAA designator of LUN 0's Device Identification page. */
    private static byte[] identifier(final RawInitiator session) throws Exception {
        Reply page = session.run(0, new byte[] {0x12, 1, (byte) 0x83, 0, (byte) 255, 0}, null);
        assertThat(page.status()).isEqualTo(GOOD);
        byte[] d = page.data();
        assertThat(d[5] & 0x0f).as("designator type NAA").isEqualTo(3);
        return Arrays.copyOfRange(d, 8, 8 + (d[7] & 0xff));
    }

    private static byte[] read(final RawInitiator session, final int lba) throws Exception {
        byte[] data = new byte[BLOCKS * BLOCK];
        for (int done = 0; done < BLOCKS; done += 8) {
            Reply reply = session.run(0, RawInitiator.read10(lba + done, 8), null);
            assertThat(reply.status()).isEqualTo(GOOD);
            System.arraycopy(reply.data(), 0, data, done * BLOCK, 8 * BLOCK);
        }
        return data;
    }

    /** EXTENDED COPY of {@link #BLOCKS} blocks from one unit to another. */
    private static byte[] xcopy(final int listId, final byte[] from, final byte[] to, final long fromLba,
            final long toLba) {
        return CopyParameters.cdb(parametersOf(listId, from, to, fromLba, toLba).length);
    }

    private static byte[] parametersOf(final int listId, final byte[] from, final byte[] to, final long fromLba,
            final long toLba) {
        return CopyParameters.list(listId, 0, List.of(from, to), new long[][] {{0, 1, BLOCKS, fromLba, toLba}});
    }

    private static RawInitiator loggedIn(final IscsiNode keel, final String iqn, final String initiator)
            throws Exception {
        RawInitiator session = new RawInitiator(keel.iscsiPort);
        Pdu response = session.loginFull(iqn, Map.of("InitiatorName", initiator));
        assertThat(RawInitiator.status(response)).as("login to " + iqn).isZero();
        session.run(0, TEST_UNIT_READY, null);
        return session;
    }

    private static byte[] pattern(final int length, final int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * seed + (i >>> 9));
        }
        return b;
    }

    private static String sense(final Reply reply) {
        return reply.sense().length < 14 ? "no sense" : reply.senseKeyAscAscq().toString();
    }
}
