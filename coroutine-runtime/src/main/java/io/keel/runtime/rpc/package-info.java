/**
 * Keel's internal node-to-node RPC: a framed binary protocol over TCP ({@link io.keel.runtime.rpc.RpcClient},
 * {@link io.keel.runtime.rpc.RpcServer}); the wire format is described in {@code docs/rpc-wire-format.md}.
 */
package io.keel.runtime.rpc;
