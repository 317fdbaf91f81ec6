package io.keel.access.scsi.reservation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/** The stored byte format of {@link PrState}, version 1 (docs/scsi-reservations-format.md). */
final class StateCodec {

    static final int MAGIC = 0x4B505253; // "KPRS"
    static final int VERSION = 1;
    private static final int HEADER = 4 + 2 + 2 + 4 + 1 + 1 + 4 + 4;
    private static final int MAX_NAME = 223; // an iSCSI name is at most 223 bytes (RFC 7143)
    private static final int FLAG_APTPL = 0x1;
    private static final int REG_ALL_TG_PT = 0x1;

    private StateCodec() {
    }

    static byte[] encode(final PrState s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + s.registrations().size() * 96);
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        header.putInt(MAGIC).putShort((short) VERSION).putShort((short) (s.aptpl() ? FLAG_APTPL : 0));
        header.putInt(s.generation());
        header.put((byte) (s.type() == null ? 0 : s.type().code)).put((byte) 0);
        int holderIndex = -1;
        if (s.holder() != null) {
            for (int i = 0; i < s.registrations().size(); i++) {
                if (PrState.sameRegistrant(s.registrations().get(i), s.holder())) {
                    holderIndex = i;
                }
            }
        }
        header.putInt(holderIndex).putInt(s.registrations().size());
        out.writeBytes(header.array());
        for (Registration r : s.registrations()) {
            byte[] ini = r.initiatorName().getBytes(StandardCharsets.UTF_8);
            byte[] tgt = r.targetName().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(8 + 1 + 2 + 6 + 2 + ini.length + 2 + tgt.length);
            b.putLong(r.key()).put((byte) (r.allTargetPorts() ? REG_ALL_TG_PT : 0));
            b.putShort((short) r.portalGroupTag()).put(HexFormat.of().parseHex(r.isid()));
            b.putShort((short) ini.length).put(ini).putShort((short) tgt.length).put(tgt);
            out.writeBytes(b.array());
        }
        CRC32C crc = new CRC32C();
        byte[] body = out.toByteArray();
        crc.update(body);
        ByteBuffer all = ByteBuffer.allocate(body.length + 4);
        all.put(body).putInt((int) crc.getValue());
        return all.array();
    }

    /** The state in {@code bytes} (empty: no state), or a failure naming {@code volumeId} and what is wrong. */
    static PrState decode(final String volumeId, final byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return PrState.EMPTY;
        }
        String where = "persistent reservation state of volume " + volumeId;
        if (bytes.length < 8) {
            throw failure(where + " is truncated (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw failure(where + " is corrupt: bad magic 0x" + Integer.toHexString(magic));
        }
        int version = Short.toUnsignedInt(b.getShort());
        if (version > VERSION) {
            throw failure(where + " has format version " + version + ", newer than the version " + VERSION
                    + " this build reads; upgrade this node before it serves the volume");
        }
        if (version != VERSION) {
            throw failure(where + " is corrupt: unknown format version " + version);
        }
        if (bytes.length < HEADER + 4) {
            throw failure(where + " is truncated (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
        if (stored != (int) crc.getValue()) {
            throw failure(where + " is corrupt or truncated: CRC32C mismatch");
        }
        try {
            return parse(where, ByteBuffer.wrap(bytes, 6, bytes.length - 10).slice());
        } catch (BufferUnderflowException e) {
            throw failure(where + " is corrupt: records run past the end");
        }
    }

    private static PrState parse(final String where, final ByteBuffer b) {
        int flags = Short.toUnsignedInt(b.getShort());
        if ((flags & ~FLAG_APTPL) != 0) {
            throw failure(where + " is corrupt: unknown flags 0x" + Integer.toHexString(flags));
        }
        int generation = b.getInt();
        int typeCode = Byte.toUnsignedInt(b.get());
        int scope = Byte.toUnsignedInt(b.get());
        int holderIndex = b.getInt();
        int count = b.getInt();
        ReservationType type = typeCode == 0 ? null : ReservationType.fromCode(typeCode);
        if ((typeCode != 0 && type == null) || scope != 0) {
            throw failure(where + " is corrupt: invalid reservation type " + typeCode + " or scope " + scope);
        }
        // Each registration takes at least 21 bytes: bounds the count before allocating.
        if (count < 0 || count > b.remaining() / 21) {
            throw failure(where + " is corrupt: registration count " + Integer.toUnsignedString(count));
        }
        List<Registration> regs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long key = b.getLong();
            int regFlags = Byte.toUnsignedInt(b.get());
            int tpgt = Short.toUnsignedInt(b.getShort());
            byte[] isid = new byte[6];
            b.get(isid);
            String ini = name(where, b);
            String tgt = name(where, b);
            if ((regFlags & ~REG_ALL_TG_PT) != 0 || key == 0 || ini.isEmpty()) {
                throw failure(where + " is corrupt: invalid registration " + i);
            }
            regs.add(new Registration(ini, HexFormat.of().formatHex(isid), tgt, tpgt,
                    (regFlags & REG_ALL_TG_PT) != 0, key));
        }
        if (b.hasRemaining()) {
            throw failure(where + " is corrupt: " + b.remaining() + " trailing bytes");
        }
        Registration holder = null;
        if (type != null && !type.allRegistrants) {
            if (holderIndex < 0 || holderIndex >= count) {
                throw failure(where + " is corrupt: holder index " + holderIndex);
            }
            holder = regs.get(holderIndex);
        } else if (holderIndex != -1 || (type != null && regs.isEmpty())) {
            throw failure(where + " is corrupt: holder index " + holderIndex + " with type " + typeCode);
        }
        return new PrState(generation, (flags & FLAG_APTPL) != 0, regs, type, holder);
    }

    private static String name(final String where, final ByteBuffer b) {
        int len = Short.toUnsignedInt(b.getShort());
        if (len > MAX_NAME) {
            throw failure(where + " is corrupt: name of " + len + " bytes");
        }
        byte[] raw = new byte[len];
        b.get(raw);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw failure(where + " is corrupt: a name is not UTF-8");
        }
    }

    private static ReservationStateException failure(final String message) {
        return new ReservationStateException(message, new IOException(message));
    }
}
