package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A logical unit's mode pages (Caching 08h, Control 0Ah, Informational Exceptions Control 1Ch),
 * shared by every nexus, and by every LUN that exports the same volume (one logical unit to its
 * initiators: a LUN's spec may hand the same pages to several units). MODE SENSE builds them,
 * MODE SELECT changes what is changeable (D_SENSE and SWP) and rejects any other difference, and a
 * change is reported (MODE PARAMETERS CHANGED) to the other nexuses of every unit attached.
 * Nothing can be saved.
 */
public final class ModePages {

    private static final int CACHING = 0x08;
    private static final int CONTROL = 0x0a;
    private static final int INFORMATIONAL_EXCEPTIONS = 0x1c;
    private static final int ALL_PAGES = 0x3f;
    private static final int[] PAGES = {CACHING, CONTROL, INFORMATIONAL_EXCEPTIONS};

    private static final int PC_CURRENT = 0;
    private static final int PC_CHANGEABLE = 1;
    private static final int PC_SAVED = 3;

    /** The device-specific parameter: DPOFUA (DPO and FUA accepted); WP when read-only or SWP is set. */
    private static final int DEVICE_SPECIFIC = 0x10;
    private static final int WP = 0x80;

    private static final Sense MODE_PARAMETERS_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x01);

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<UnitAttentions> units = new CopyOnWriteArraySet<>();
    private volatile boolean descriptorSense;
    private volatile boolean softwareWriteProtect;

    /** Pages at their defaults, attached to no unit yet. */
    public ModePages() {
    }

    /** Attaches a unit's unit attentions: it is told of changes made through the other units. */
    void attach(final UnitAttentions unit) {
        units.add(unit);
    }

    /** Detaches a unit that was unmapped. */
    void detach(final UnitAttentions unit) {
        units.remove(unit);
    }

    /** MODE PARAMETERS CHANGED for every nexus of every attached unit but {@code changer}. */
    private void reportChange(final ItNexus changer) {
        for (UnitAttentions unit : units) {
            unit.raiseOthers(changer, MODE_PARAMETERS_CHANGED);
        }
    }

    /** Back to the default values (after a reset). */
    void reset() {
        descriptorSense = false;
        softwareWriteProtect = false;
    }

    /** Whether SWP is set: the medium is write-protected for every nexus until cleared or reset. */
    boolean softwareWriteProtect() {
        return softwareWriteProtect;
    }

    /** Whether D_SENSE is set: sense data is returned in descriptor format. */
    boolean descriptorSense() {
        return descriptorSense;
    }

    private static byte[] page(final int code, final int pc, final boolean dSense, final boolean swp) {
        byte[] p;
        switch (code) {
            case CACHING:
                // WCE=0 and RCD=0: every write is durable when it completes, and reads may be cached.
                p = new byte[20];
                break;
            case CONTROL:
                p = new byte[12];
                if (pc == PC_CHANGEABLE) {
                    p[2] = 0x04;
                    p[4] = 0x08;
                } else {
                    // GLTSD (no log parameters are saved), QUEUE ALGORITHM MODIFIER 1 (unrestricted reordering).
                    p[2] = (byte) (0x02 | (dSense && pc == PC_CURRENT ? 0x04 : 0));
                    p[3] = 0x10;
                    p[4] = (byte) (swp && pc == PC_CURRENT ? 0x08 : 0);
                    Bytes.put16(p, 8, 0xffff);
                }
                break;
            case INFORMATIONAL_EXCEPTIONS:
                p = new byte[12];
                if (pc != PC_CHANGEABLE) {
                    p[2] = 0x08; // DEXCPT: there are no failure predictions to report
                }
                break;
            default:
                return null;
        }
        p[0] = (byte) code;
        p[1] = (byte) (p.length - 2);
        return p;
    }

    /**
     * MODE SENSE(6) when {@code ten} is false, else MODE SENSE(10); {@code blocks} is the capacity,
     * {@code readOnly} whether the LUN asked through is exported read-only (WP).
     */
    ByteBuffer sense(final byte[] cdb, final boolean ten, final long blocks, final boolean readOnly) {
        boolean dbd = (cdb[1] & 0x08) != 0;
        boolean llbaa = ten && (cdb[1] & 0x10) != 0;
        int pc = (cdb[2] & 0xc0) >>> 6;
        int code = cdb[2] & 0x3f;
        int subpage = Bytes.u8(cdb, 3);
        if (pc == PC_SAVED) {
            throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x39, 0x00);
        }
        if (subpage != 0 && subpage != 0xff) {
            throw SenseException.invalidCdb(3, -1);
        }
        boolean dSense = descriptorSense;
        boolean swp = softwareWriteProtect;
        ByteBuffer pages = ByteBuffer.allocate(64);
        if (code == ALL_PAGES) {
            for (int c : PAGES) {
                pages.put(page(c, pc, dSense, swp));
            }
        } else {
            byte[] p = page(code, pc, dSense, swp);
            if (p == null) {
                throw SenseException.invalidCdb(2, 5);
            }
            pages.put(p);
        }
        pages.flip();
        int bdLength = dbd ? 0 : llbaa ? 16 : 8;
        int header = ten ? 8 : 4;
        byte[] b = new byte[header + bdLength + pages.remaining()];
        int deviceSpecific = DEVICE_SPECIFIC | ((readOnly || swp) && pc != PC_CHANGEABLE ? WP : 0);
        if (ten) {
            Bytes.put16(b, 0, b.length - 2);
            b[3] = (byte) deviceSpecific;
            b[4] = (byte) (llbaa ? 1 : 0);
            Bytes.put16(b, 6, bdLength);
        } else {
            b[0] = (byte) (b.length - 1);
            b[2] = (byte) deviceSpecific;
            b[3] = (byte) bdLength;
        }
        if (bdLength == 8 && pc != PC_CHANGEABLE) {
            Bytes.put32(b, header, Math.min(blocks, 0xffffffffL));
            Bytes.put32(b, header + 4, 512);
        } else if (bdLength == 16 && pc != PC_CHANGEABLE) {
            Bytes.put64(b, header, blocks);
            Bytes.put32(b, header + 12, 512);
        }
        pages.get(b, header + bdLength, pages.remaining());
        return ByteBuffer.wrap(b);
    }

    /**
     * MODE SELECT(6) or (10) from {@code nexus} with its parameter list: validates all of it, then
     * applies it; when a current value changed, every other nexus of every attached unit gets MODE
     * PARAMETERS CHANGED.
     */
    void select(final ItNexus nexus, final byte[] params, final boolean ten, final long blocks) {
        int header = ten ? 8 : 4;
        if (params.length < header) {
            throw SenseException.parameterListLength();
        }
        int dataLength = ten ? Bytes.u16(params, 0) : Bytes.u8(params, 0);
        if (dataLength != 0) {
            throw SenseException.invalidParameter(0, -1);
        }
        int mediumType = ten ? 2 : 1;
        if (params[mediumType] != 0) {
            throw SenseException.invalidParameter(mediumType, -1);
        }
        boolean longLba = ten && (params[4] & 0x01) != 0;
        if (ten && (params[4] & 0xfe) != 0) {
            throw SenseException.invalidParameter(4, -1);
        }
        if (ten && params[5] != 0) {
            throw SenseException.invalidParameter(5, -1);
        }
        int bdLength = ten ? Bytes.u16(params, 6) : Bytes.u8(params, 3);
        if (bdLength != 0 && bdLength != (longLba ? 16 : 8)) {
            throw SenseException.invalidParameter(ten ? 6 : 3, -1);
        }
        if (header + bdLength > params.length) {
            throw SenseException.parameterListLength();
        }
        if (bdLength > 0) {
            checkBlockDescriptor(params, header, longLba, blocks);
        }
        lock.lock();
        try {
            boolean dSense = descriptorSense;
            boolean swp = softwareWriteProtect;
            boolean newDSense = dSense;
            boolean newSwp = swp;
            int p = header + bdLength;
            while (p < params.length) {
                if (p + 2 > params.length) {
                    throw SenseException.parameterListLength();
                }
                int code = params[p] & 0x3f;
                if ((params[p] & 0x40) != 0) {
                    throw SenseException.invalidParameter(p, 6);
                }
                byte[] current = page(code, PC_CURRENT, dSense, swp);
                if (current == null) {
                    throw SenseException.invalidParameter(p, 5);
                }
                byte[] changeable = page(code, PC_CHANGEABLE, dSense, swp);
                if (Bytes.u8(params, p + 1) != current.length - 2) {
                    throw SenseException.invalidParameter(p + 1, -1);
                }
                if (p + current.length > params.length) {
                    throw SenseException.parameterListLength();
                }
                for (int k = 2; k < current.length; k++) {
                    int differs = (params[p + k] ^ current[k]) & ~changeable[k] & 0xff;
                    if (differs != 0) {
                        throw SenseException.invalidParameter(p + k, 31 - Integer.numberOfLeadingZeros(differs));
                    }
                }
                if (code == CONTROL) {
                    newDSense = (params[p + 2] & 0x04) != 0;
                    newSwp = (params[p + 4] & 0x08) != 0;
                }
                p += current.length;
            }
            descriptorSense = newDSense;
            softwareWriteProtect = newSwp;
            if (newDSense != dSense || newSwp != swp) {
                reportChange(nexus);
            }
        } finally {
            lock.unlock();
        }
    }

    private static void checkBlockDescriptor(final byte[] params, final int at, final boolean longLba,
            final long blocks) {
        long count = longLba ? Bytes.u64(params, at) : Bytes.u32(params, at);
        long length = longLba ? Bytes.u32(params, at + 12) : Bytes.u24(params, at + 5);
        long shown = longLba ? blocks : Math.min(blocks, 0xffffffffL);
        if (count != 0 && count != shown) {
            throw SenseException.invalidParameter(at, -1);
        }
        if (length != 512) {
            throw SenseException.invalidParameter(at + (longLba ? 12 : 5), -1);
        }
    }
}
