package io.keel.meta.server;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.log.NotLeaderException;
import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcException;
import io.keel.runtime.rpc.RpcRemoteException;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Deadline;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * How a node reaches the meta leader, wherever it is: the local meta member when it leads,
 * otherwise the leader's internal RPC. Changes are retried, with the same change id, across
 * elections and lost connections until a deadline.
 */
public final class MetaClient implements AutoCloseable {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    private final MetaService local;
    private final Supplier<Optional<LeaderAddress>> leader;
    private final MetaRpc rpc;
    private final Clock clock;
    private final Map<String, RpcClient> clients = new ConcurrentHashMap<>();

    /**
     * A client that prefers {@code local} (null on nodes without the meta role) and otherwise
     * finds the leader through {@code leader}.
     */
    public MetaClient(final MetaService local, final Supplier<Optional<LeaderAddress>> leader, final MetaRpc rpc,
            final Clock clock) {
        this.local = local;
        this.leader = leader;
        this.rpc = rpc;
        this.clock = clock;
    }

    /**
     * Applies {@code command} at the leader and returns its result, retrying until {@code timeout}.
     *
     * @throws NotLeaderException when no leader took the change before the deadline
     */
    public ChangeResult submit(final MetaCommand command, final Duration timeout)
            throws NotLeaderException, InterruptedException {
        Deadline deadline = Deadline.after(clock, timeout);
        Exception last = null;
        while (!deadline.isExpired()) {
            try {
                if (local != null && local.isLeader()) {
                    return local.submit(command);
                }
                Optional<LeaderAddress> target = leader.get();
                if (target.isPresent() && (local == null || !isSelf(target.get()))) {
                    return MetaRpc.parseResult(client(target.get()).call(MetaRpc.SUBMIT, rpc.signedSubmit(command),
                            CALL_TIMEOUT));
                }
            } catch (NotLeaderException | IOException e) {
                last = e;
            }
            clock.sleep(RETRY_PAUSE);
        }
        throw new NotLeaderException("no meta leader took change " + command.changeId() + " within " + timeout
                + (last == null ? "" : ": " + last.getMessage()), null);
    }

    /**
     * Sends one heartbeat to the leader, waiting at most {@code timeout} (a heartbeat stuck on a
     * dead leader must not delay the next one to its successor); false when there is no leader or
     * it could not be reached.
     */
    public boolean heartbeat(final HeartbeatReport report, final Duration timeout) throws InterruptedException {
        try {
            if (local != null && local.isLeader()) {
                local.heartbeat(report);
                return true;
            }
            Optional<LeaderAddress> target = leader.get();
            if (target.isEmpty()) {
                return false;
            }
            client(target.get()).call(MetaRpc.HEARTBEAT, rpc.signedHeartbeat(report), timeout);
            return true;
        } catch (NotLeaderException | IOException e) {
            return false;
        }
    }

    private boolean isSelf(final LeaderAddress target) {
        return local.leader().flatMap(info -> LeaderAddress.parse(info.address()))
                .map(self -> self.equals(target) && local.isLeader()).orElse(false);
    }

    private RpcClient client(final LeaderAddress target) throws RpcException {
        String address = target.rpcAddress();
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new RpcRemoteException(null, MetaRpc.SUBMIT, MetaRpc.STATUS_BAD_REQUEST,
                    "leader published no usable RPC address: " + address);
        }
        return clients.computeIfAbsent(address, key -> new RpcClient(
                new InetSocketAddress(address.substring(0, colon),
                        Integer.parseInt(address.substring(colon + 1))), RpcConfig.defaults()));
    }

    @Override
    public void close() {
        clients.values().forEach(RpcClient::close);
        clients.clear();
    }
}
