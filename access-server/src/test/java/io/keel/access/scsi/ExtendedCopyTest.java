package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExtendedCopyTest extends ScsiFixture {

    private static final int FULL_BLOCKS = (4 << 20) / 512;

    @BeforeEach
    void clearPowerOn() {
        settle(A, THIN);
        settle(A, FULL);
    }

    private static byte[] xcopy(final int length) {
        return CopyParameters.cdb(length);
    }

    /** A parameter list of {@code targets} descriptors (volume ids) and one segment per {@code segments} row. */
    private static byte[] parameters(final int listId, final int usage, final String[] targets,
            final long[][] segments) {
        return CopyParameters.list(listId, usage, Arrays.stream(targets).map(UnitIdentifier::naa).toList(),
                segments);
    }

    private ScsiResult send(final int lun, final byte[] parameters) {
        return run(lun, xcopy(parameters.length), parameters);
    }

    @Test
    void copiesBetweenUnitsAndWithinOne() {
        byte[] d = pattern(2048 * 512, 17);
        good(run(THIN, cdb(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0), d));
        String[] both = {"vol-thin-0001", "vol-full-0002"};
        good(send(FULL, parameters(1, 3, both, new long[][] {{0, 1, 2048, 0, FULL_BLOCKS - 2048}})));
        assertThat(full.snapshot((FULL_BLOCKS - 2048) * 512L, d.length)).isEqualTo(d);
        good(send(THIN, parameters(7, 0, new String[] {"vol-thin-0001"},
                new long[][] {{0, 0, 16, 0, 5000}, {0, 0, 16, 16, 6000}})));
        assertThat(thin.snapshot(5000 * 512L, 16 * 512)).isEqualTo(java.util.Arrays.copyOf(d, 16 * 512));
        assertThat(thin.snapshot(6000 * 512L, 16 * 512))
                .isEqualTo(java.util.Arrays.copyOfRange(d, 16 * 512, 32 * 512));
        byte[] status = data(run(THIN, 0x84, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0));
        assertThat(Bytes.u32(status, 0)).isEqualTo(8);
        assertThat(status[4]).isEqualTo((byte) 1);
        assertThat(Bytes.u16(status, 5)).isEqualTo(2);
        assertThat(Bytes.u32(status, 8)).isEqualTo(16);
        invalidField(run(THIN, 0x84, 0x00, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0), 2);
        settle(B, THIN);
        invalidField(run(B, THIN, cdb(0x84, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0), null), 2);
    }

    @Test
    void operatingParametersDescribeTheLimits() {
        byte[] op = data(run(THIN, 0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0));
        assertThat(Bytes.u32(op, 0)).isEqualTo(op.length - 4);
        assertThat(Bytes.u16(op, 8)).isEqualTo(2);
        assertThat(Bytes.u16(op, 10)).isEqualTo(8);
        assertThat(Bytes.u32(op, 12)).isEqualTo(2 * 32 + 8 * 28);
        assertThat(op[43]).isEqualTo((byte) 2);
        assertThat(op).endsWith(0x02, 0xe4);
        invalidField(run(THIN, 0x84, 0x03, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0), 2);
        invalidField(run(THIN, 0x84, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0), 1);
        assertThat(data(run(THIN, 0x12, 0, 0, 0, 96, 0))[5] & 0x08).as("3PC").isEqualTo(0x08);
    }

    @Test
    void parameterListErrors() {
        String[] one = {"vol-thin-0001"};
        byte[] p = parameters(1, 0, one, new long[][] {{0, 0, 8, 0, 100}});
        good(run(THIN, xcopy(0), null));
        check(run(THIN, xcopy(47), p), Sense.ILLEGAL_REQUEST, 0x1a, 0);
        check(run(THIN, xcopy(p.length - 1), p), Sense.ILLEGAL_REQUEST, 0x1a, 0);
        check(send(THIN, parameters(1, 0, new String[] {"vol-thin-0001", "vol-thin-0001", "vol-thin-0001"},
                new long[][] {{0, 0, 8, 0, 100}})), Sense.ILLEGAL_REQUEST, 0x26, 0x06);
        long[][] nine = new long[9][];
        java.util.Arrays.fill(nine, new long[] {0, 0, 8, 0, 100});
        check(send(THIN, parameters(1, 0, one, nine)), Sense.ILLEGAL_REQUEST, 0x26, 0x08);
        long[][] nineMore = new long[9][];
        java.util.Arrays.fill(nineMore, new long[] {0, 0, 8, 0, 100});
        check(send(THIN, parameters(1, 0, new String[] {"vol-thin-0001", "vol-thin-0001", "vol-thin-0001"},
                nineMore)), Sense.ILLEGAL_REQUEST, 0x1a, 0);
        byte[] fcTarget = p.clone();
        fcTarget[16] = (byte) 0xe0;
        check(send(THIN, fcTarget), Sense.ILLEGAL_REQUEST, 0x26, 0x07);
        byte[] streams = p.clone();
        streams[48] = 0x03;
        check(send(THIN, streams), Sense.ILLEGAL_REQUEST, 0x26, 0x09);
        byte[] luIdType = p.clone();
        luIdType[17] = (byte) 0xc0; // obsolete in SPC-4: ignored
        luIdType[1] = 2 << 3; // LIST ID USAGE 10b: nothing held
        good(send(THIN, luIdType));
        byte[] tape = p.clone();
        tape[17] = 0x01;
        check(send(THIN, tape), Sense.ILLEGAL_REQUEST, 0x26, 0);
        byte[] nul = p.clone();
        nul[17] = 0x20;
        check(send(THIN, nul), Sense.COPY_ABORTED, 0x0d, 0x02);
        check(send(THIN, parameters(1, 0, one, new long[][] {{0, 1, 8, 0, 100}})), Sense.COPY_ABORTED, 0x0d, 0x02);
        check(send(THIN, parameters(1, 0, new String[] {"no-such-volume"}, new long[][] {{0, 0, 8, 0, 100}})),
                Sense.COPY_ABORTED, 0x0d, 0x02);
        check(send(FULL, parameters(1, 0, new String[] {"vol-full-0002"},
                new long[][] {{0, 0, 2048, 0, FULL_BLOCKS - 1}})), Sense.COPY_ABORTED, 0, 0);
        invalidField(run(THIN, 0x84, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0), 2);
    }

    @Test
    void aCopyReachesAUnitOfAnotherTargetOfTheNodeOnlyThroughItsDirectory() {
        MemoryBackend other = new MemoryBackend("vol-other-0003", 1 << 20, false);
        BlockTarget second = new BlockTarget(List.of(new LunSpec(0, other, FakeReservations::new)),
                TargetOptions.defaults());
        byte[] d = pattern(8 * 512, 23);
        good(run(THIN, cdb(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0), d));
        String[] across = {"vol-thin-0001", "vol-other-0003"};
        // This fixture's target knows no other target: the other volume is not reachable.
        check(send(THIN, parameters(1, 0, across, new long[][] {{0, 1, 8, 0, 16}})), Sense.COPY_ABORTED, 0x0d, 0x02);

        // A target built with the node's directory of units copies into the other target's volume, for an
        // initiator the directory lets reach it (in a node: one logged in to that target) and no other.
        BlockTarget first = new BlockTarget(List.of(new LunSpec(0, thin, FakeReservations::new)),
                TargetOptions.defaults(), io.keel.runtime.time.SystemClock.INSTANCE,
                (nexus, naa) -> nexus.equals(A) ? second.unitWithIdentifier(naa) : null);
        byte[] parameters = parameters(2, 0, across, new long[][] {{0, 1, 8, 0, 16}});
        ScsiResult settled = xcopyAfterUnitAttentions(first, B, parameters);
        check(settled, Sense.COPY_ABORTED, 0x0d, 0x02);
        assertThat(other.snapshot(16 * 512L, d.length)).isEqualTo(new byte[d.length]);
        good(xcopyAfterUnitAttentions(first, A, parameters));
        assertThat(other.snapshot(16 * 512L, d.length)).isEqualTo(d);

        // A unit found, then unmapped before the copy runs: the copy stops instead of writing through it.
        LogicalUnit unmapped = second.logicalUnit(0);
        second.update(List.of());
        BlockTarget stale = new BlockTarget(List.of(new LunSpec(0, thin, FakeReservations::new)),
                TargetOptions.defaults(), io.keel.runtime.time.SystemClock.INSTANCE, (nexus, naa) -> unmapped);
        check(xcopyAfterUnitAttentions(stale, A, parameters(3, 0, across, new long[][] {{0, 1, 8, 0, 32}})),
                Sense.COPY_ABORTED, 0x0d, 0x02);
        assertThat(other.snapshot(32 * 512L, d.length)).isEqualTo(new byte[d.length]);
    }

    private static ScsiResult xcopyAfterUnitAttentions(final BlockTarget target, final ItNexus nexus,
            final byte[] parameters) {
        ScsiResult result;
        do {
            result = target.execute(new ScsiCommand(nexus, 0, xcopy(parameters.length), TaskAttribute.SIMPLE, 1,
                    parameters.length, ByteBuffer.wrap(parameters)));
        } while (result.status() == ScsiStatus.CHECK_CONDITION && (result.sense()[2] & 0x0f) == Sense.UNIT_ATTENTION);
        return result;
    }

    @Test
    void aCopyTargetsFailureIsACopyAbortNotTheAddressedUnitsOwnError() {
        String[] both = {"vol-thin-0001", "vol-full-0002"};
        thin.unreadableAt = 4 * 512L;
        check(send(FULL, parameters(1, 0, both, new long[][] {{0, 1, 8, 0, 0}})), Sense.COPY_ABORTED, 0x0d, 0x01);
        thin.unreadableAt = -1;
        thin.outOfSpace = true;
        check(send(FULL, parameters(1, 0, both, new long[][] {{1, 0, 8, 0, 0}})), Sense.COPY_ABORTED, 0x0d, 0x01);
        thin.outOfSpace = false;
        good(send(FULL, parameters(1, 0, both, new long[][] {{1, 0, 8, 0, 0}})));
    }

    /** A host fenced while its copy runs (PREEMPT AND ABORT on the destination): no further piece lands. */
    @Test
    void aReservationLostWhileCopyingStopsTheCopyBeforeItsNextPiece() throws Exception {
        String[] both = {"vol-thin-0001", "vol-full-0002"};
        good(run(FULL, cdb(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0), pattern(4096 * 512, 5)));
        thin.writeGate = new java.util.concurrent.CountDownLatch(1);
        var copied = new java.util.concurrent.atomic.AtomicReference<ScsiResult>();
        Thread copier = Thread.ofVirtual().start(() ->
                copied.set(send(FULL, parameters(1, 0, both, new long[][] {{1, 0, 4096, 0, 0}}))));
        while (thin.writesAtGate.get() == 0) {
            Thread.sleep(5);
        }
        thinReservations.conflictFor = A;
        thin.writeGate.countDown();
        copier.join(10_000);
        check(copied.get(), Sense.COPY_ABORTED, 0x0d, 0x02);
        assertThat(thin.snapshot(2048 * 512L, 2048 * 512)).as("the second piece").isEqualTo(new byte[2048 * 512]);
    }

    @Test
    void anotherUnitsReservationStopsTheCopy() {
        thinReservations.conflictFor = A;
        String[] both = {"vol-thin-0001", "vol-full-0002"};
        check(send(FULL, parameters(1, 0, both, new long[][] {{0, 1, 8, 0, 0}})), Sense.COPY_ABORTED, 0x0d, 0x02);
        good(send(FULL, parameters(1, 0, both, new long[][] {{1, 1, 8, 0, 8}})));
    }
}
