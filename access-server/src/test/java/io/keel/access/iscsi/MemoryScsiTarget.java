package io.keel.access.iscsi;

import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.ScsiCommand;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiTarget;
import io.keel.access.scsi.Sense;
import io.keel.runtime.context.Batching;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A test double: one LUN (0) over a byte array, answering the commands initiators send at login and for I/O. */
final class MemoryScsiTarget implements ScsiTarget {

    static final int BLOCK = 512;

    final byte[] disk;
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<ScsiCommand> commands = new CopyOnWriteArrayList<>();
    /** When {@link #nexusLost} was last called ({@code System.nanoTime()}), or 0. */
    volatile long nexusLostAt;
    /** When set, commands with opcode {@link #blockOpcode} wait for it (task management tests). */
    volatile CountDownLatch gate;
    volatile int blockOpcode = -1;
    /** When set, reads answer with a lent direct buffer, like Keel's block target; counts what is still out. */
    volatile boolean lendReads;
    final AtomicInteger lentOut = new AtomicInteger();
    final AtomicInteger lentTotal = new AtomicInteger();

    /** When set, READs start (see {@link ScsiTarget#start}) and answer from a virtual thread of their own. */
    volatile boolean startReads;
    /** When set, WRITE(10/16)s start likewise. */
    volatile boolean startWrites;
    final AtomicInteger started = new AtomicInteger();
    /**
     * When set, started commands finish here instead, in a group that must not block, as on a device's
     * completion thread shared by every connection.
     */
    volatile Executor completionThread;

    MemoryScsiTarget(final int blocks) {
        disk = new byte[blocks * BLOCK];
    }

    @Override
    public boolean start(final ScsiCommand command, final java.util.function.Consumer<ScsiResult> done) {
        boolean read = command.opcode() == 0x28 || command.opcode() == 0x88;
        boolean write = command.opcode() == 0x2a || command.opcode() == 0x8a;
        if (command.lun() != 0 || !(read && startReads || write && startWrites)) {
            return false;
        }
        started.incrementAndGet();
        Executor finisher = completionThread;
        if (finisher != null) {
            finisher.execute(() -> {
                try (Batching.Group group = Batching.openNonBlocking()) {
                    done.accept(execute(command));
                }
            });
        } else {
            Thread.ofVirtual().start(() -> done.accept(execute(command)));
        }
        return true;
    }

    @Override
    public ScsiResult execute(final ScsiCommand command) {
        commands.add(command);
        CountDownLatch g = gate;
        if (g != null && command.opcode() == blockOpcode) {
            try {
                g.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] cdb = command.cdb();
        if (command.opcode() == 0xa0) {
            ByteBuffer b = ByteBuffer.allocate(16).putInt(8);
            return ScsiResult.good(truncate(b.array(), be32(cdb, 6)));
        }
        if (command.lun() != 0) {
            if (command.opcode() == 0x12) {
                byte[] inq = new byte[36];
                inq[0] = 0x7f;
                return ScsiResult.good(truncate(inq, be16(cdb, 3)));
            }
            return ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x25, 0));
        }
        long blocks = disk.length / BLOCK;
        switch (command.opcode()) {
            case 0x00, 0x35, 0x91:
                return ScsiResult.good();
            case 0x12:
                return inquiry(cdb);
            case 0x25:
                return ScsiResult.good(ByteBuffer.allocate(8).putInt((int) blocks - 1).putInt(BLOCK).flip());
            case 0x9e:
                if ((cdb[1] & 0x1f) == 0x10) {
                    byte[] rc = ByteBuffer.allocate(32).putLong(blocks - 1).putInt(BLOCK).array();
                    return ScsiResult.good(truncate(rc, be32(cdb, 10)));
                }
                return ScsiResult.checkCondition(Sense.invalidFieldInCdb(1, 4));
            case 0x1a:
                return ScsiResult.good(truncate(new byte[] {3, 0, 0, 0}, cdb[4] & 0xff));
            case 0x5a:
                return ScsiResult.good(truncate(new byte[] {0, 6, 0, 0, 0, 0, 0, 0}, be16(cdb, 7)));
            case 0x28, 0x88, 0x2a, 0x8a:
                return readWrite(command);
            default:
                return ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x20, 0));
        }
    }

    private ScsiResult readWrite(final ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean ten = command.opcode() == 0x28 || command.opcode() == 0x2a;
        long lba = ten ? be32(cdb, 2) & 0xffffffffL : ByteBuffer.wrap(cdb, 2, 8).getLong();
        long count = ten ? be16(cdb, 7) : be32(cdb, 10) & 0xffffffffL;
        if ((lba + count) * BLOCK > disk.length) {
            return ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x21, 0));
        }
        int offset = (int) (lba * BLOCK);
        int length = (int) (count * BLOCK);
        if (command.opcode() == 0x28 || command.opcode() == 0x88) {
            if (lendReads) {
                ByteBuffer lent = ByteBuffer.allocateDirect(length).put(disk, offset, length).flip();
                lentOut.incrementAndGet();
                lentTotal.incrementAndGet();
                AtomicBoolean released = new AtomicBoolean();
                return ScsiResult.good(lent, () -> {
                    if (!released.compareAndSet(false, true)) {
                        events.add("lent data-in released twice");
                    }
                    lentOut.decrementAndGet();
                });
            }
            return ScsiResult.good(ByteBuffer.wrap(disk, offset, length).slice());
        }
        ByteBuffer out = command.dataOut();
        if (out == null || out.remaining() < length) {
            return ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x24, 0));
        }
        synchronized (disk) {
            out.duplicate().get(disk, offset, length);
        }
        return ScsiResult.good();
    }

    private ScsiResult inquiry(final byte[] cdb) {
        int alloc = be16(cdb, 3);
        if ((cdb[1] & 1) == 0) {
            byte[] inq = new byte[36];
            inq[2] = 5;
            inq[3] = 2;
            inq[4] = 31;
            System.arraycopy("KEEL    TESTDISK        0001".getBytes(StandardCharsets.US_ASCII), 0, inq, 8, 28);
            return ScsiResult.good(truncate(inq, alloc));
        }
        return switch (cdb[2] & 0xff) {
            case 0x00 -> ScsiResult.good(truncate(new byte[] {0, 0, 0, 3, 0, (byte) 0x80, (byte) 0x83}, alloc));
            case 0x80 -> ScsiResult.good(truncate(new byte[] {0, (byte) 0x80, 0, 4, '1', '2', '3', '4'}, alloc));
            case 0x83 -> ScsiResult.good(truncate(new byte[] {0, (byte) 0x83, 0, 12, 1, 3, 0, 8,
                0x60, 0, 0, 0, 0, 0, 0, 1}, alloc));
            default -> ScsiResult.checkCondition(Sense.invalidFieldInCdb(2, -1));
        };
    }

    private static ByteBuffer truncate(final byte[] data, final int alloc) {
        return ByteBuffer.wrap(data, 0, Math.min(alloc, data.length)).slice();
    }

    private static int be16(final byte[] b, final int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    private static int be32(final byte[] b, final int at) {
        return ByteBuffer.wrap(b, at, 4).getInt();
    }

    @Override
    public boolean hasLun(final int lun) {
        return lun == 0;
    }

    @Override
    public void taskAborted(final ItNexus nexus, final int lun, final long taskTag) {
        events.add("taskAborted " + taskTag);
    }

    @Override
    public void taskSetAborted(final ItNexus nexus, final int lun) {
        events.add("taskSetAborted " + lun);
    }

    @Override
    public void logicalUnitReset(final ItNexus nexus, final int lun) {
        events.add("logicalUnitReset " + lun);
    }

    @Override
    public void targetReset(final ItNexus nexus) {
        events.add("targetReset");
    }

    @Override
    public void nexusLost(final ItNexus nexus) {
        nexusLostAt = System.nanoTime();
        events.add("nexusLost " + nexus.initiatorPortName());
    }
}
