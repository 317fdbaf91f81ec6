package io.keel.chunk.store;

/**
 * What a store says about one extent: its epoch (fencing), its version (bumped by every mutation;
 * replicas compare versions for catch-up) and how many of its blocks are allocated.
 */
public record ExtentInfo(long extentId, long epoch, long version, int allocatedBlocks) {
}
