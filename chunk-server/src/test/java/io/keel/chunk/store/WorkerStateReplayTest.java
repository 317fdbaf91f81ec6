package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The live path and recovery must build the same state: random mutations are applied live (with
 * quarantine), encoded as journal bodies, decoded and replayed into a fresh state, and both are
 * compared, also after a checkpoint round trip.
 */
class WorkerStateReplayTest {

    private static final int SECTOR = 4096;
    private static final int SECTORS_PER_BLOCK = 4;
    private static final int BLOCKS = 48;
    private static final int BLOCKS_PER_EXTENT = 8;

    private static WorkerState newState() {
        return new WorkerState(new BlockGroup(1000, BLOCKS, SECTORS_PER_BLOCK), SECTOR, BLOCKS_PER_EXTENT);
    }

    @Test
    void replayAndCheckpointRebuildTheLiveState() throws IOException {
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        for (int run = 0; run < 60; run++) {
            long runSeed = seed + run;
            try {
                runOnce(new Random(runSeed));
            } catch (AssertionError | RuntimeException | IOException e) {
                throw new AssertionError("failed with -Dkeel.test.seed=" + runSeed + " (run " + run + ")", e);
            }
        }
    }

    private static void runOnce(final Random random) throws IOException {
        WorkerState live = newState();
        List<ByteBuffer> bodies = new ArrayList<>();
        List<Short> types = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        long nextId = 1;
        long sequence = 0;
        for (int step = 0; step < 300; step++) {
            StoreRecord record = null;
            boolean reserved = false;
            int op = random.nextInt(10);
            if (op == 0 || ids.isEmpty()) {
                record = new StoreRecord.Create(nextId++, random.nextInt(3));
                ids.add(((StoreRecord.Create) record).extentId());
            } else {
                long id = ids.get(random.nextInt(ids.size()));
                ExtentState extent = live.extent(id);
                int index = random.nextInt(BLOCKS_PER_EXTENT);
                int block = extent.block(index);
                boolean owned = block != ExtentState.UNMAPPED && live.group().references(block) == 1;
                long version = extent.version() + 1;
                try {
                    switch (op) {
                        case 1, 2, 3 -> {
                            if (block != ExtentState.UNMAPPED && !owned) {
                                continue;
                            }
                            int target = owned ? block : (int) live.group().findFree();
                            int first = random.nextInt(SECTORS_PER_BLOCK);
                            int count = 1 + random.nextInt(SECTORS_PER_BLOCK - first);
                            int[] crcs = new int[count];
                            byte[][] data = new byte[count][SECTOR];
                            for (int i = 0; i < count; i++) {
                                random.nextBytes(data[i]);
                                crcs[i] = StoreWorker.crc(ByteBuffer.wrap(data[i]));
                            }
                            record = new StoreRecord.Write(id, version, index, target, first, crcs, data);
                        }
                        case 4 -> {
                            int target = (int) live.group().allocate();
                            int[] crcs = new int[SECTORS_PER_BLOCK];
                            long written = random.nextInt(1 << SECTORS_PER_BLOCK);
                            for (int s = 0; s < SECTORS_PER_BLOCK; s++) {
                                crcs[s] = (written & (1L << s)) != 0 ? random.nextInt() : 0;
                            }
                            record = new StoreRecord.Map(id, version, index, target, written, crcs);
                            reserved = true;
                        }
                        case 5 -> record = new StoreRecord.Unmap(id, version, index,
                                1 + random.nextInt(BLOCKS_PER_EXTENT - index));
                        case 6 -> {
                            if (!owned) {
                                continue;
                            }
                            int first = random.nextInt(SECTORS_PER_BLOCK);
                            record = new StoreRecord.ClearSectors(id, version, index, first,
                                    1 + random.nextInt(SECTORS_PER_BLOCK - first));
                        }
                        case 7 -> {
                            if (extent.mappedBlocks() + live.group().blockCount() - live.group().freeBlocks()
                                    > BLOCKS * 3) {
                                continue;
                            }
                            record = new StoreRecord.Snapshot(id, nextId++, extent.epoch());
                            ids.add(((StoreRecord.Snapshot) record).childId());
                        }
                        case 8 -> {
                            record = new StoreRecord.Delete(id, extent.epoch());
                            ids.remove(Long.valueOf(id));
                        }
                        default -> {
                            live.group().releaseQuarantined(sequence - random.nextInt(3));
                            continue;
                        }
                    }
                } catch (StoreFullException full) {
                    live.group().releaseQuarantined(sequence);
                    continue;
                }
            }
            sequence++;
            bodies.add(body(record));
            types.add(record.type());
            if (reserved) {
                live.applyReservedMap((StoreRecord.Map) record, sequence);
            } else {
                live.apply(record, sequence);
            }
        }

        verifyReplay(live, bodies, types, sequence);
    }

    private static void verifyReplay(final WorkerState live, final List<ByteBuffer> bodies, final List<Short> types,
            final long sequence) throws IOException {
        WorkerState replayed = newState();
        for (int i = 0; i < bodies.size(); i++) {
            replayed.apply(StoreRecord.decode(types.get(i), bodies.get(i), SECTOR, SECTORS_PER_BLOCK), 0);
        }
        assertSameMetadata(live, replayed);
        assertSameOverlay(live, replayed);

        ByteBuffer checkpoint = CheckpointCodec.encode(live, 3, 17, sequence);
        CheckpointCodec.Header header =
                CheckpointCodec.decodeHeader(checkpoint.slice(0, CheckpointCodec.HEADER_BYTES));
        assertThat(header).isEqualTo(new CheckpointCodec.Header(3, 17, sequence, header.payloadBytes(),
                header.payloadCrc()));
        WorkerState restored = newState();
        CheckpointCodec.decodePayload(header, checkpoint.slice(CheckpointCodec.HEADER_BYTES,
                checkpoint.capacity() - CheckpointCodec.HEADER_BYTES), restored);
        assertSameMetadata(live, restored);
    }

    private static ByteBuffer body(final StoreRecord record) {
        ByteBuffer[] parts = record instanceof StoreRecord.Write write ? write.parts()
                : new ByteBuffer[] {record.header()};
        int size = 0;
        for (ByteBuffer part : parts) {
            size += part.remaining();
        }
        ByteBuffer body = ByteBuffer.allocate(size);
        for (ByteBuffer part : parts) {
            body.put(part.duplicate());
        }
        return body.flip();
    }

    private static void assertSameMetadata(final WorkerState expected, final WorkerState actual) throws IOException {
        assertThat(actual.extents()).hasSameSizeAs(expected.extents());
        assertThat(actual.mappedReferences()).isEqualTo(expected.mappedReferences());
        for (ExtentState extent : expected.extents()) {
            ExtentState other = actual.extent(extent.id());
            assertThat(other.epoch()).as("epoch of %d", extent.id()).isEqualTo(extent.epoch());
            assertThat(other.version()).as("version of %d", extent.id()).isEqualTo(extent.version());
            for (int i = 0; i < BLOCKS_PER_EXTENT; i++) {
                assertThat(other.block(i)).as("extent %d index %d", extent.id(), i).isEqualTo(extent.block(i));
            }
        }
        BlockGroup a = expected.group();
        BlockGroup b = actual.group();
        assertThat(b.freeBlocks()).isEqualTo(a.freeBlocks() + a.quarantinedBlocks());
        for (long block = a.firstBlock(); block < a.firstBlock() + BLOCKS; block++) {
            assertThat(b.references(block)).as("references of block %d", block).isEqualTo(a.references(block));
            if (a.references(block) > 0) {
                assertThat(b.writtenSectors(block)).as("written sectors of %d", block)
                        .isEqualTo(a.writtenSectors(block));
                for (int s = 0; s < SECTORS_PER_BLOCK; s++) {
                    assertThat(b.sectorCrc(block, s)).isEqualTo(a.sectorCrc(block, s));
                }
            }
        }
    }

    private static void assertSameOverlay(final WorkerState expected, final WorkerState actual) {
        var a = expected.overlay().snapshot();
        var b = actual.overlay().snapshot();
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).globalSector()).isEqualTo(a.get(i).globalSector());
            assertThat(b.get(i).data()).isEqualTo(a.get(i).data());
        }
    }

    @Test
    void quarantinedBlocksAreNotReusedBeforeTheirRecordIsDurable() throws IOException {
        BlockGroup group = new BlockGroup(0, 2, SECTORS_PER_BLOCK);
        long first = group.allocate();
        long second = group.allocate();
        assertThatThrownBy(group::allocate).isInstanceOf(StoreFullException.class)
                .hasMessageContaining("no free block");
        group.dropReference(first, 7);
        assertThatThrownBy(group::allocate).isInstanceOf(StoreFullException.class)
                .hasMessageContaining("1 waiting for the journal");
        assertThat(group.releaseQuarantined(6)).isZero();
        assertThat(group.releaseQuarantined(7)).isOne();
        assertThat(group.allocate()).isEqualTo(first);
        assertThat(second).isNotEqualTo(first);
    }

    @Test
    void malformedRecordBodiesAreRefused() {
        ByteBuffer truncated = ByteBuffer.allocate(10);
        assertThatThrownBy(() -> StoreRecord.decode(StoreRecord.CREATE, truncated, SECTOR, SECTORS_PER_BLOCK))
                .isInstanceOf(IOException.class).hasMessageContaining("truncated");
        ByteBuffer extra = ByteBuffer.allocate(17);
        assertThatThrownBy(() -> StoreRecord.decode(StoreRecord.CREATE, extra, SECTOR, SECTORS_PER_BLOCK))
                .isInstanceOf(IOException.class).hasMessageContaining("extra bytes");
        assertThatThrownBy(() -> StoreRecord.decode((short) 99, extra, SECTOR, SECTORS_PER_BLOCK))
                .isInstanceOf(IOException.class).hasMessageContaining("unknown");
        ByteBuffer badWrite = new StoreRecord.Write(1, 1, 0, 0, 3, new int[] {1, 2}, new byte[2][SECTOR]).header();
        assertThatThrownBy(() -> StoreRecord.decode(StoreRecord.WRITE, badWrite, SECTOR, SECTORS_PER_BLOCK))
                .isInstanceOf(IOException.class).hasMessageContaining("covers sectors");
    }
}
