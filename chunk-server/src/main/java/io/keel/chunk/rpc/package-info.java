/**
 * The chunk store's {@link io.keel.chunk.store.ExtentStore} over Keel's RPC: {@link
 * io.keel.chunk.rpc.ExtentStoreService} serves a store, {@link io.keel.chunk.rpc.RemoteExtentStore} calls one.
 * The wire format is in {@code docs/extent-store-rpc.md}.
 */
package io.keel.chunk.rpc;
