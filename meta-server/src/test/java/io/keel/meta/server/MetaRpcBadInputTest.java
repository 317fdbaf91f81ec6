package io.keel.meta.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.keel.meta.command.CreatePool;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcRemoteException;
import io.keel.runtime.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The meta RPC refuses what does not come from the cluster or does not parse, with its status,
 * before the meta service sees anything (the service here is absent: reaching it would fail).
 */
class MetaRpcBadInputTest {

    private static final byte[] KEY = new byte[32];
    private RpcServer server;
    private RpcClient client;

    @BeforeEach
    void start() throws Exception {
        Arrays.fill(KEY, (byte) 7);
        server = new RpcServer(RpcConfig.defaults());
        new MetaRpc(KEY).serve(server, null);
        InetSocketAddress address = server.start(new InetSocketAddress("127.0.0.1", 0));
        client = new RpcClient(address, RpcConfig.defaults());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private int status(final int method, final ByteBuffer body) {
        RpcRemoteException refused = catchThrowableOfType(RpcRemoteException.class,
                () -> client.call(method, body, Duration.ofSeconds(5)));
        assertThat(refused).isNotNull();
        return refused.status();
    }

    @Test
    void aChangeSignedWithAnotherKeyIsRefused() {
        byte[] otherKey = new byte[32];
        ByteBuffer forged = new MetaRpc(otherKey).signedSubmit(new CreatePool("c1", "p", 1, Provisioning.THIN,
                FailureDomain.NODE, QosLimits.UNLIMITED, 0));
        assertThat(status(MetaRpc.SUBMIT, forged)).isEqualTo(MetaRpc.STATUS_UNAUTHENTICATED);
    }

    @Test
    void aRequestShorterThanItsSignatureIsRefused() {
        assertThat(status(MetaRpc.SUBMIT, ByteBuffer.wrap(new byte[5]))).isEqualTo(MetaRpc.STATUS_BAD_REQUEST);
        assertThat(status(MetaRpc.HEARTBEAT, ByteBuffer.allocate(0))).isEqualTo(MetaRpc.STATUS_BAD_REQUEST);
    }

    @Test
    void signedGarbageIsRefusedAsNotAChangeOrHeartbeat() {
        ByteBuffer garbage = new MetaRpc(KEY).signed("{not json".getBytes(StandardCharsets.UTF_8));
        assertThat(status(MetaRpc.SUBMIT, garbage.duplicate())).isEqualTo(MetaRpc.STATUS_BAD_REQUEST);
        assertThat(status(MetaRpc.HEARTBEAT, garbage.duplicate())).isEqualTo(MetaRpc.STATUS_BAD_REQUEST);
    }
}
