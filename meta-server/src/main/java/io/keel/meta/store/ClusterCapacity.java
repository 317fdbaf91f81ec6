package io.keel.meta.store;

/**
 * The cluster's raw capacity for thick reservations: the sum of the capacity of every registered
 * DATA disk (UP or DOWN nodes alike: a DOWN node's disks are expected back), the raw bytes thick
 * volumes of all pools reserve, and what is left ({@code max(0, data - reserved)}). Thin volumes
 * and snapshots reserve nothing.
 */
public record ClusterCapacity(long dataCapacityBytes, long thickReservedBytes, long freeForThickBytes) {
}
