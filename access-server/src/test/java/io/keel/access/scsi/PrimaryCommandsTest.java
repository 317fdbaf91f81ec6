package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PrimaryCommandsTest extends ScsiFixture {

    @BeforeEach
    void clearPowerOn() {
        settle(A, THIN);
        settle(A, FULL);
    }

    @Test
    void dataInIsCutToTheAllocationLength() {
        assertThat(data(run(THIN, 0x12, 0, 0, 0, 5, 0))).hasSize(5);
        assertThat(data(run(THIN, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0))).hasSize(16);
        settle(A, THIN);
        assertThat(data(run(THIN, 0x1a, 0, 0x3f, 0, 4, 0))).hasSize(4);
        assertThat(data(run(THIN, 0x1a, 0, 0x3f, 0, 255, 0)).length).isBetween(5, 255);
    }

    @Test
    void standardInquiryDescribesAnSpc4BlockDevice() {
        byte[] d = data(run(THIN, 0x12, 0, 0, 0, 255, 0));
        assertThat(d[0]).isEqualTo((byte) 0);
        assertThat(d[2]).isEqualTo((byte) 6);
        assertThat(d[3] & 0x0f).isEqualTo(2);
        assertThat(d[3] & 0x10).isEqualTo(0x10);
        assertThat(d[4] & 0xff).isEqualTo(d.length - 5);
        assertThat(d[7] & 0x02).isEqualTo(0x02);
        assertThat(new String(d, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("KEEL    ");
        assertThat(Bytes.u16(d, 58)).isEqualTo(0x00a0);
        invalidField(run(THIN, 0x12, 0, 0x80, 0, 255, 0), 2);
        invalidField(run(THIN, 0x12, 0x02, 0, 0, 255, 0), 1);
    }

    @Test
    void vpdPagesListedAreServed() {
        byte[] supported = data(run(THIN, 0x12, 1, 0, 0, 255, 0));
        assertThat(Arrays.copyOfRange(supported, 4, supported.length))
                .containsExactly(0x00, 0x80, 0x83, 0xb0, 0xb1, (byte) 0xb2);
        for (int i = 4; i < supported.length; i++) {
            byte[] page = data(run(THIN, 0x12, 1, supported[i] & 0xff, 0x01, 0, 0));
            assertThat(page[1]).isEqualTo(supported[i]);
            assertThat(Bytes.u16(page, 2)).isEqualTo(page.length - 4);
        }
        invalidField(run(THIN, 0x12, 1, 0x85, 0, 255, 0), 2);
        byte[] serial = data(run(THIN, 0x12, 1, 0x80, 0, 255, 0));
        assertThat(new String(serial, 4, serial.length - 4, StandardCharsets.US_ASCII)).isEqualTo("vol-thin-0001");
    }

    @Test
    void deviceIdentificationIsDeterministicNaaType6() {
        byte[] page = data(run(THIN, 0x12, 1, 0x83, 0, 255, 0));
        assertThat(page[4] & 0x0f).isEqualTo(1);
        assertThat(page[5] & 0x3f).isEqualTo(3);
        assertThat(page[7]).isEqualTo((byte) 16);
        assertThat(page[8] & 0xf0).isEqualTo(0x60);
        byte[] naa = Arrays.copyOfRange(page, 8, 24);
        BlockTarget other = new BlockTarget(List.of(new LunSpec(5,
                new MemoryBackend("vol-thin-0001", 1 << 20, true), FakeReservations::new)), TargetOptions.defaults());
        ScsiResult r = other.execute(new ScsiCommand(B, 5, cdb(0x12, 1, 0x83, 0, 255, 0), TaskAttribute.SIMPLE, 1,
                255, null));
        assertThat(Arrays.copyOfRange(data(r), 8, 24)).isEqualTo(naa);
        assertThat(UnitIdentifier.naa("vol-full-0002")).isNotEqualTo(naa);
        assertThat(new String(page, StandardCharsets.US_ASCII)).contains("iqn.2026-01.io.keel:t,t,0x0001");
    }

    /**
     * A LUN's identity to its hosts: ESXi names datastores' devices by it and multipath joins paths
     * by it, so a change of the derivation would make every existing volume look like a new disk
     * (ESXi would take its VMFS for a snapshot). It must only change on purpose, with this value.
     */
    @Test
    void theNaaIdentifierOfAVolumeIsPinned() {
        assertThat(java.util.HexFormat.of().formatHex(UnitIdentifier.naa("0b6f5a52-7c1e-4c5e-9a1d-3f2b8e4d6c71")))
                .isEqualTo("6000000c68bc83259ce0ea28705fabc5");
        assertThat(UnitIdentifier.name("0b6f5a52-7c1e-4c5e-9a1d-3f2b8e4d6c71"))
                .isEqualTo("naa.6000000c68bc83259ce0ea28705fabc5");
    }

    @Test
    void blockLimitsAndProvisioningFollowTheBackend() {
        byte[] b0 = data(run(THIN, 0x12, 1, 0xb0, 0, 255, 0));
        assertThat(b0).hasSize(64);
        assertThat(b0[4]).as("WSNZ").isZero();
        assertThat(b0[5]).isEqualTo((byte) 1);
        assertThat(Bytes.u16(b0, 6)).isEqualTo(8);
        assertThat(Bytes.u32(b0, 8)).isEqualTo(65536);
        assertThat(Bytes.u32(b0, 12)).as("OPTIMAL TRANSFER LENGTH").isEqualTo(8192);
        assertThat(Bytes.u32(b0, 44)).as("MAXIMUM ATOMIC TRANSFER LENGTH").isEqualTo(2048);
        assertThat(Bytes.u32(b0, 48)).as("ATOMIC ALIGNMENT").isEqualTo(8);
        assertThat(Bytes.u32(b0, 52)).as("ATOMIC TRANSFER LENGTH GRANULARITY").isEqualTo(8);
        assertThat(Bytes.u32(b0, 20)).isEqualTo(1 << 20);
        assertThat(Bytes.u32(b0, 24)).isEqualTo(256);
        assertThat(Bytes.u32(b0, 28)).isEqualTo(8);
        byte[] b1 = data(run(THIN, 0x12, 1, 0xb1, 0, 255, 0));
        assertThat(Bytes.u16(b1, 4)).isEqualTo(1);
        byte[] b2 = data(run(THIN, 0x12, 1, 0xb2, 0, 255, 0));
        assertThat(b2[5] & 0xe4).isEqualTo(0xe4);
        assertThat(b2[6] & 0x07).isEqualTo(2);
        byte[] fullB2 = data(run(FULL, 0x12, 1, 0xb2, 0, 255, 0));
        assertThat(fullB2[5]).isZero();
        assertThat(fullB2[6]).isZero();
        assertThat(Bytes.u32(data(run(FULL, 0x12, 1, 0xb0, 0, 255, 0)), 20)).isZero();
    }

    @Test
    void unknownLunsAnswerInquiryReportLunsAndRequestSenseOnly() {
        byte[] d = data(run(7, 0x12, 0, 0, 0, 255, 0));
        assertThat(d[0]).isEqualTo((byte) 0x7f);
        byte[] sense = data(run(7, 0x03, 0, 0, 0, 252, 0));
        assertThat(key(sense)).isEqualTo(new Key(Sense.ILLEGAL_REQUEST, 0x25, 0));
        check(run(7, 0x00, 0, 0, 0, 0, 0), Sense.ILLEGAL_REQUEST, 0x25, 0);
        check(run(7, 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0), Sense.ILLEGAL_REQUEST, 0x25, 0);
        good(run(7, 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertThat(target.hasLun(7)).isFalse();
        assertThat(target.hasLun(FULL)).isTrue();
    }

    @Test
    void reportLunsUsesPeripheralAndFlatAddressing() {
        byte[] d = data(run(THIN, 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertThat(Bytes.u32(d, 0)).isEqualTo(16);
        assertThat(Arrays.copyOfRange(d, 8, 16)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(Arrays.copyOfRange(d, 16, 18)).containsExactly(0x41, 0x2c);
        byte[] wellKnown = data(run(THIN, 0xa0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertThat(Bytes.u32(wellKnown, 0)).isZero();
        invalidField(run(THIN, 0xa0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0), 2);
        invalidField(run(THIN, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0), 6);
    }

    @Test
    void modeSenseReturnsThePagesWithHeaderAndBlockDescriptor() {
        byte[] all = data(run(THIN, 0x1a, 0, 0x3f, 0, 255, 0));
        assertThat(all[0] & 0xff).isEqualTo(all.length - 1);
        assertThat(all[2] & 0x90).isEqualTo(0x10);
        assertThat(all[3]).isEqualTo((byte) 8);
        assertThat(Bytes.u32(all, 4)).isEqualTo((16 << 20) / 512);
        assertThat(Bytes.u24(all, 9)).isEqualTo(512);
        assertThat(all[12]).isEqualTo((byte) 0x08);
        assertThat(all[14] & 0x05).as("WCE, RCD").isZero();
        assertThat(all[32]).isEqualTo((byte) 0x0a);
        assertThat(all[44]).isEqualTo((byte) 0x1c);
        byte[] noBd = data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0));
        assertThat(noBd).hasSize(4 + 12);
        byte[] changeable = data(run(THIN, 0x1a, 0x08, 0x4a, 0, 255, 0));
        assertThat(changeable[6]).isEqualTo((byte) 0x04);
        assertThat(changeable[8]).isEqualTo((byte) 0x08);
        check(run(THIN, 0x1a, 0, 0xca, 0, 255, 0), Sense.ILLEGAL_REQUEST, 0x39, 0);
        invalidField(run(THIN, 0x1a, 0, 0x19, 0, 255, 0), 2);
        invalidField(run(THIN, 0x1a, 0, 0x0a, 1, 255, 0), 3);
        byte[] ten = data(run(THIN, 0x5a, 0x10, 0x08, 0, 0, 0, 0, 1, 0, 0));
        assertThat(Bytes.u16(ten, 0)).isEqualTo(ten.length - 2);
        assertThat(ten[4] & 1).isEqualTo(1);
        assertThat(Bytes.u16(ten, 6)).isEqualTo(16);
        assertThat(Bytes.u64(ten, 8)).isEqualTo((16 << 20) / 512);
    }

    @Test
    void modeSelectChangesDescriptorSenseAndTellsOtherNexuses() {
        settle(B, THIN);
        byte[] control = Arrays.copyOfRange(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0)), 0, 16);
        control[0] = 0;
        control[6] |= 0x04;
        good(run(THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));
        assertThat(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0))[6] & 0x04).isEqualTo(0x04);
        ScsiResult r = run(THIN, 0x28, 0, 0xff, 0, 0, 0, 0, 0, 1, 0);
        assertThat(r.sense()[0]).isEqualTo((byte) 0x72);
        check(r, Sense.ILLEGAL_REQUEST, 0x21, 0);
        ScsiResult ua = run(B, THIN, cdb(0, 0, 0, 0, 0, 0), null);
        check(ua, Sense.UNIT_ATTENTION, 0x2a, 0x01);
        control[6] &= ~0x04;
        good(run(THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));
        assertThat(run(THIN, 0x28, 0, 0xff, 0, 0, 0, 0, 0, 1, 0).sense()[0]).isEqualTo((byte) 0x70);
    }

    @Test
    void softwareWriteProtectRefusesWhatChangesTheMediumUntilClearedOrReset() {
        settle(B, THIN);
        byte[] control = Arrays.copyOfRange(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0)), 0, 16);
        control[0] = 0;
        control[8] |= 0x08;
        good(run(B, THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));
        check(run(THIN, 0, 0, 0, 0, 0, 0), Sense.UNIT_ATTENTION, 0x2a, 0x01);
        byte[] sensed = data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0));
        assertThat(sensed[2] & 0x80).as("WP").isEqualTo(0x80);
        assertThat(sensed[8] & 0x08).as("SWP").isEqualTo(0x08);
        good(run(THIN, 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0));
        check(run(THIN, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), new byte[512]), Sense.DATA_PROTECT, 0x27, 0x02);
        check(run(THIN, cdb(0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0), null), Sense.DATA_PROTECT, 0x27, 0x02);
        check(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0), null), Sense.DATA_PROTECT, 0x27, 0x02);
        good(run(FULL, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), new byte[512]));
        assertThat(data(run(THIN, 0x1a, 0x08, 0x4a, 0, 255, 0))[8] & 0x08).as("changeable").isEqualTo(0x08);
        target.logicalUnitReset(A, THIN);
        settle(A, THIN);
        good(run(THIN, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), new byte[512]));
        assertThat(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0))[2] & 0x80).isZero();
    }

    @Test
    void modeSelectTenTakesALongBlockDescriptorAndPages() {
        byte[] sensed = data(run(THIN, 0x5a, 0x10, 0x0a, 0, 0, 0, 0, 0, 255, 0));
        assertThat(sensed).hasSize(8 + 16 + 12);
        sensed[0] = 0;
        sensed[1] = 0;
        sensed[3] = 0; // device-specific parameter is ignored, cleared as sd does
        sensed[8 + 16 + 2] |= 0x04;
        good(run(THIN, cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, sensed.length, 0), sensed));
        assertThat(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0))[6] & 0x04).isEqualTo(0x04);
        sensed[2] = 1;
        check(run(THIN, cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, sensed.length, 0), sensed), Sense.ILLEGAL_REQUEST, 0x26, 0);
        sensed[2] = 0;
        Bytes.put64(sensed, 8, 12345);
        check(run(THIN, cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, sensed.length, 0), sensed), Sense.ILLEGAL_REQUEST, 0x26, 0);
    }

    @Test
    void modeSelectRejectsUnchangeableFieldsAndSaving() {
        byte[] caching = Arrays.copyOfRange(data(run(THIN, 0x1a, 0x08, 0x08, 0, 255, 0)), 0, 24);
        caching[0] = 0;
        caching[6] |= 0x04; // WCE
        ScsiResult r = run(THIN, cdb(0x15, 0x10, 0, 0, 24, 0), caching);
        check(r, Sense.ILLEGAL_REQUEST, 0x26, 0);
        assertThat(Bytes.u16(r.sense(), 16)).isEqualTo(6);
        invalidField(run(THIN, cdb(0x15, 0x11, 0, 0, 24, 0), caching), 1);
        check(run(THIN, cdb(0x15, 0x10, 0, 0, 24, 0), new byte[8]), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        check(run(THIN, cdb(0x15, 0x10, 0, 0, 2, 0), new byte[2]), Sense.ILLEGAL_REQUEST, 0x1a, 0);
        byte[] bd = new byte[12];
        bd[3] = 8;
        Bytes.put32(bd, 8, 4096);
        check(run(THIN, cdb(0x15, 0x10, 0, 0, 12, 0), bd), Sense.ILLEGAL_REQUEST, 0x26, 0);
        Bytes.put32(bd, 8, 512);
        good(run(THIN, cdb(0x15, 0x10, 0, 0, 12, 0), bd));
    }

    @Test
    void reportSupportedOperationCodesAllAndOne() {
        byte[] all = data(run(THIN, 0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
        int n = (int) Bytes.u32(all, 0) / 8;
        assertThat(n).isGreaterThan(40);
        byte[] withTimeouts = data(run(THIN, 0xa3, 0x0c, 0x80, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
        assertThat(Bytes.u32(withTimeouts, 0)).isEqualTo(20L * n);
        byte[] read10 = data(run(THIN, 0xa3, 0x0c, 0x01, 0x28, 0, 0, 0, 0, 1, 0, 0, 0));
        assertThat(read10[1] & 0x07).isEqualTo(3);
        assertThat(Bytes.u16(read10, 2)).isEqualTo(10);
        assertThat(read10[4]).isEqualTo((byte) 0x28);
        byte[] rc16 = data(run(THIN, 0xa3, 0x0c, 0x82, 0x9e, 0, 0x10, 0, 0, 1, 0, 0, 0));
        assertThat(rc16[1] & 0x87).isEqualTo(0x83);
        assertThat(rc16[5]).isEqualTo((byte) 0x10);
        byte[] none = data(run(THIN, 0xa3, 0x0c, 0x01, 0xe7, 0, 0, 0, 0, 1, 0, 0, 0));
        assertThat(none[1] & 0x07).isEqualTo(1);
        invalidField(run(THIN, 0xa3, 0x0c, 0x01, 0x9e, 0, 0, 0, 0, 1, 0, 0, 0), 3);
        byte[] either = data(run(THIN, 0xa3, 0x0c, 0x03, 0x9e, 0, 0x12, 0, 0, 1, 0, 0, 0));
        assertThat(either[1] & 0x07).isEqualTo(3);
        invalidField(run(THIN, 0xa3, 0x0c, 0x04, 0x28, 0, 0, 0, 0, 1, 0, 0, 0), 2);
        invalidField(run(THIN, 0xa3, 0x0c, 0x02, 0x28, 0, 0, 0, 0, 1, 0, 0, 0), 3);
        byte[] fullAll = data(run(FULL, 0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
        assertThat(Bytes.u32(fullAll, 0) / 8).as("no UNMAP, no erases").isEqualTo(n - 3);
    }

    @Test
    void miscellaneousCommands() {
        good(run(THIN, 0x00, 0, 0, 0, 0, 0));
        good(run(THIN, 0x1b, 0, 0, 0, 0x01, 0));
        good(run(THIN, 0x1b, 0x01, 0, 0, 0x02, 0));
        invalidField(run(THIN, 0x1b, 0, 0, 0, 0x41, 0), 4);
        byte[] noSense = data(run(THIN, 0x03, 0, 0, 0, 18, 0));
        assertThat(key(noSense)).isEqualTo(new Key(0, 0, 0));
        byte[] descriptor = data(run(THIN, 0x03, 1, 0, 0, 18, 0));
        assertThat(descriptor[0]).isEqualTo((byte) 0x72);
        check(run(THIN, 0xe7, 0, 0, 0, 0, 0), Sense.ILLEGAL_REQUEST, 0x20, 0);
        invalidField(run(THIN, 0x00, 0, 0, 0, 0, 0x01), 5);
        invalidField(run(THIN, 0x9e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 1);
    }

    @Test
    void reservationsAreAskedAndDelegatedTo() {
        good(run(THIN, 0x16, 0, 0, 0, 0, 0));
        good(run(THIN, 0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        good(run(THIN, 0x5e, 0, 0, 0, 0, 0, 0, 0, 8, 0));
        good(run(THIN, cdb(0x5f, 0, 0, 0, 0, 0, 0, 0, 24, 0), new byte[24]));
        check(run(THIN, cdb(0x5f, 0, 0, 0, 0, 0, 0, 0, 24, 0), new byte[8]), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        assertThat(thinReservations.calls).containsExactly("reserve", "release", "in", "out:24");
        thinReservations.conflictFor = A;
        assertThat(run(THIN, 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        good(run(THIN, 0x12, 0, 0, 0, 36, 0));
        settle(B, THIN);
        good(run(B, THIN, cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0), null));
        target.nexusLost(B);
        assertThat(thinReservations.calls).contains("lost");
    }
}
