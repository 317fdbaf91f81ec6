package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class AlignedBuffersTest {

    @Test
    void allocatedBuffersAreDirectAlignedAndExactlySized() {
        for (int pages = 1; pages <= 64; pages++) {
            ByteBuffer buffer = AlignedBuffers.allocate(pages * 4096);
            assertThat(buffer.isDirect()).isTrue();
            assertThat(buffer.capacity()).isEqualTo(pages * 4096);
            assertThat(buffer.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
            assertThat(AlignedBuffers.addressAtPosition(buffer) % 4096).isZero();
            assertThat(AlignedBuffers.isAligned(buffer)).isTrue();
            assertThat(AlignedBuffers.isAligned(buffer.duplicate().position(1))).isFalse();
        }
        assertThat(AlignedBuffers.isAligned(ByteBuffer.allocate(4096))).isFalse();
        assertThatThrownBy(() -> AlignedBuffers.allocate(100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AlignedBuffers.allocate(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void poolReusesBuffersAndWaitsAtItsBound() throws Exception {
        AlignedBufferPool pool = new AlignedBufferPool(8192, 2);
        ByteBuffer a = pool.acquire();
        ByteBuffer b = pool.acquire();
        assertThat(a).isNotSameAs(b);
        assertThat(a.capacity()).isEqualTo(8192);
        assertThat(AlignedBuffers.isAligned(a)).isTrue();
        assertThat(pool.tryAcquire()).isNull();

        CountDownLatch acquired = new CountDownLatch(1);
        List<ByteBuffer> got = new ArrayList<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                got.add(pool.acquire());
                acquired.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(acquired.getCount()).isEqualTo(1);
        a.position(100);
        pool.release(a);
        waiter.join();
        assertThat(got).singleElement().isSameAs(a);
        assertThat(got.get(0).position()).isZero();

        assertThatThrownBy(() -> pool.release(AlignedBuffers.allocate(8192)))
                .isInstanceOf(IllegalArgumentException.class);
        pool.release(b);
        assertThatThrownBy(() -> pool.release(b)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new AlignedBufferPool(1000, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
