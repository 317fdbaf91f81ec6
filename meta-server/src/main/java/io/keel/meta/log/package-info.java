/**
 * The replicated metadata log: {@link io.keel.meta.log.MetaLog} elects the meta leader with a
 * fencing term, appends batches of opaque entries to ZooKeeper and applies them, in order and
 * exactly once, to every member's {@link io.keel.meta.log.LogStateMachine}; snapshots in
 * ZooKeeper let it trim old batches. The format and the fencing and recovery rules are in
 * docs/meta-log-format.md.
 */
package io.keel.meta.log;
