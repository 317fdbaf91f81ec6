/**
 * ZooKeeper for the meta servers: {@link io.keel.meta.zookeeper.EmbeddedZooKeeper} runs a
 * standalone server or one quorum peer inside the node (or nothing, for an external ensemble) as
 * {@link io.keel.meta.zookeeper.ZooKeeperConfig} says, and
 * {@link io.keel.meta.zookeeper.CuratorClients} builds the Curator client that talks to it.
 */
package io.keel.meta.zookeeper;
