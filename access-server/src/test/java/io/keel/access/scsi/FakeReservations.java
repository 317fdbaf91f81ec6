package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A {@link Reservations} for tests: conflicts on demand and records what it was asked. */
public final class FakeReservations implements Reservations {

    final UnitAttentionSink sink;
    public final List<String> calls = new ArrayList<>();
    volatile ItNexus conflictFor;

    public FakeReservations(final UnitAttentionSink sink) {
        this.sink = sink;
    }

    @Override
    public synchronized ScsiResult persistentReserveIn(final ItNexus nexus, final byte[] cdb) {
        calls.add("in");
        return ScsiResult.good(ByteBuffer.wrap(new byte[8]));
    }

    @Override
    public synchronized ScsiResult persistentReserveOut(final ItNexus nexus, final byte[] cdb,
            final ByteBuffer parameters) {
        calls.add("out:" + parameters.remaining());
        return ScsiResult.good();
    }

    @Override
    public synchronized ScsiResult reserve(final ItNexus nexus, final byte[] cdb) {
        calls.add("reserve");
        return ScsiResult.good();
    }

    @Override
    public synchronized ScsiResult release(final ItNexus nexus, final byte[] cdb) {
        calls.add("release");
        return ScsiResult.good();
    }

    @Override
    public boolean conflicts(final ItNexus nexus, final byte[] cdb) {
        return nexus.equals(conflictFor) && (cdb[0] & 0xff) != 0x12;
    }

    @Override
    public synchronized void logicalUnitReset() {
        calls.add("reset");
    }

    @Override
    public synchronized void nexusLost(final ItNexus nexus) {
        calls.add("lost");
    }
}
