package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.access.scsi.TaskAttribute;
import io.keel.access.scsi.TransferBuffers;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TaskWriteDataTest {

    private static Task write(final int length) {
        return new Task(1, 0, new byte[16], TaskAttribute.SIMPLE, length, false, true, 0);
    }

    @Test
    void dataReceivedInPlaceAndStoredByCopyEndUpInOneLentBuffer() {
        TransferBuffers buffers = TransferBuffers.shared();
        int before = buffers.lent();
        Task task = write(8192);
        task.lendBuffer(buffers);
        assertThat(buffers.lent()).isEqualTo(before + 1);
        task.store(0, ByteBuffer.wrap(filled(4096, (byte) 1)), false);
        ByteBuffer place = task.placeAt(4096, 4096);
        place.put(filled(4096, (byte) 2));
        task.placed();
        task.store(4096, ByteBuffer.allocate(0), true);
        task.received = 8192;

        ByteBuffer data = task.writeData();
        assertThat(data.isDirect()).isTrue();
        assertThat(data.remaining()).isEqualTo(8192);
        assertThat(data.get(4095)).isEqualTo((byte) 1);
        assertThat(data.get(4096)).isEqualTo((byte) 2);
        task.releaseData();
        task.releaseData();
        assertThat(buffers.lent()).as("given back once").isEqualTo(before);
    }

    @Test
    void aBufferTheReaderIsReceivingIntoIsGivenBackOnlyOnceThatEnds() {
        TransferBuffers buffers = TransferBuffers.shared();
        int before = buffers.lent();
        Task task = write(65536);
        task.lendBuffer(buffers);
        assertThat(task.placeAt(0, 4096)).isNotNull();
        // Task management finishes the task while the reader still receives into its buffer.
        task.releaseData();
        assertThat(buffers.lent()).isEqualTo(before + 1);
        assertThat(task.placeAt(4096, 4096)).as("no new placement once finished").isNull();
        task.placed();
        assertThat(buffers.lent()).isEqualTo(before);
    }

    @Test
    void withoutALentBufferDataGoesToAnArray() {
        Task task = write(8192);
        assertThat(task.placeAt(0, 4096)).isNull();
        task.store(0, ByteBuffer.wrap(filled(4096, (byte) 3)), false);
        task.store(4096, ByteBuffer.wrap(filled(4096, (byte) 4)), false);
        task.received = 8192;
        ByteBuffer data = task.writeData();
        assertThat(data.isDirect()).isFalse();
        assertThat(data.get(0)).isEqualTo((byte) 3);
        assertThat(data.get(8191)).isEqualTo((byte) 4);
    }

    private static byte[] filled(final int length, final byte value) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, value);
        return b;
    }
}
