package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TransferLengthTest {

    @Test
    void writeCommandsAskForTheirBlocksAndOthersAreUnknown() {
        assertThat(TransferLength.dataOut(new byte[] {0x0a, 0, 0, 0, 0, 0})).isEqualTo(256 * 512);
        assertThat(TransferLength.dataOut(new byte[] {0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0})).isEqualTo(1024);
        assertThat(TransferLength.dataOut(new byte[] {(byte) 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}))
                .isEqualTo(65536L * 512);
        assertThat(TransferLength.dataOut(new byte[] {(byte) 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0}))
                .isEqualTo(3072);
        assertThat(TransferLength.dataOut(new byte[] {(byte) 0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}))
                .isEqualTo(256 * 512);
        assertThat(TransferLength.dataOut(new byte[] {0x48, 0x01, 0, 0, 0, 0, 0, 2, 4, 0})).isEqualTo(516);
        assertThat(TransferLength.dataOut(new byte[] {(byte) 0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 76, 0, 0}))
                .isEqualTo(76);
        assertThat(TransferLength.dataOut(new byte[] {0x2f, 0, 0, 0, 0, 0, 0, 0, 4, 0})).isZero();
        assertThat(TransferLength.dataOut(new byte[] {0x2f, 0x02, 0, 0, 0, 0, 0, 0, 4, 0})).isEqualTo(2048);
        assertThat(TransferLength.dataOut(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 4, 0})).isEqualTo(-1);
        assertThat(TransferLength.dataOut(new byte[] {0x2a})).isEqualTo(-1);
        assertThat(TransferLength.dataOut(null)).isEqualTo(-1);
    }
}
