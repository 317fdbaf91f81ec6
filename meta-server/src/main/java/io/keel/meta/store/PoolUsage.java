package io.keel.meta.store;

/**
 * What a pool's volumes take: their count, the sum of their sizes (logical, what thin volumes may
 * grow to) and the raw bytes thick volumes reserve (size times the pool's replication factor).
 */
public record PoolUsage(String pool, long volumeCount, long provisionedBytes, long thickReservedBytes) {
}
