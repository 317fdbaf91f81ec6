package io.keel.meta.store;

import static io.keel.meta.store.Applier.reject;

import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Lun;
import io.keel.meta.model.Names;
import io.keel.meta.model.Node;
import io.keel.meta.model.NodeRole;
import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.Pool;
import io.keel.meta.model.QosLimits;
import io.keel.meta.model.Volume;
import io.keel.meta.secret.SealedSecret;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The validation rules of the applier (docs/metadata-format.md); each throws {@link Rejection}. */
final class Validation {

    private final StateReader state;
    // A placement names few nodes many times; a command's checks all run before its writes.
    private final Map<String, Optional<Node>> nodes = new HashMap<>();

    Validation(final StateReader state) {
        this.state = state;
    }

    private Optional<Node> node(final String id) {
        return nodes.computeIfAbsent(id == null ? "" : id, state::node);
    }

    void name(final String what, final String s) {
        if (!Names.isName(s)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " '" + s + "' is malformed: use 1-63 of a-z, 0-9, "
                    + "'.', '_', '-', starting with a letter or digit");
        }
    }

    void id(final String what, final String s) {
        if (!Names.isId(s)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " '" + s + "' is malformed: use 1-64 letters, digits "
                    + "and '-', starting with a letter or digit");
        }
    }

    void address(final String what, final String s) {
        if (!Names.isAddress(s)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " '" + s + "' is not host:port");
        }
    }

    void iscsiName(final String what, final String s) {
        if (!Names.isIscsiName(s)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " '" + s + "' is not a lowercase iSCSI name "
                    + "(iqn.yyyy-mm.reversed.domain[:suffix], eui.<16 hex> or naa.<16 or 32 hex>)");
        }
    }

    void labels(final String what, final NodeLabels l) {
        if (l != null && (l.rack() != null && !Names.isName(l.rack()) || l.site() != null && !Names.isName(l.site()))) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": rack and site labels must follow the name rule");
        }
    }

    void notNullElements(final String what, final List<?> list) {
        // Absent lists mean empty. Immutable lists throw on contains(null): look element by element.
        if (list != null && list.stream().anyMatch(java.util.Objects::isNull)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " must not contain empty elements");
        }
    }

    /** A byte count that is positive and a multiple of 4096. */
    void size(final String what, final long bytes) {
        if (bytes <= 0 || bytes % Applier.SECTOR != 0) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " must be a positive multiple of 4096 bytes, got "
                    + bytes);
        }
    }

    /** A physical block size a volume may report, or {@code null} for the default. */
    void physicalBlockBytes(final String what, final Integer bytes) {
        if (bytes != null && !Volume.PHYSICAL_BLOCK_BYTES.contains(bytes)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": physical block size must be 512 or 4096 bytes, got "
                    + bytes);
        }
    }

    void extentSize(final String what, final long bytes) {
        if (Long.bitCount(bytes) != 1 || bytes < Applier.MIN_EXTENT_SIZE || bytes > Applier.MAX_EXTENT_SIZE) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": extent size must be a power of two from 1 MiB to "
                    + "4 GiB, got " + bytes);
        }
    }

    void qos(final String what, final QosLimits q) {
        if (q != null && (q.iops() < 0 || q.bandwidthBytesPerSecond() < 0)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": QoS limits must be 0 (unlimited) or positive");
        }
    }

    Node existingNode(final String id) {
        return node(id).orElseThrow(() -> reject(ErrorCode.NOT_FOUND, "node " + id + " is not registered"));
    }

    void upNode(final String id, final String what) {
        final Node n = existingNode(id);
        if (!n.up()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, what + ": node '" + n.name() + "' (" + id + ") is DOWN");
        }
    }

    Pool existingPool(final String name) {
        return state.pool(name == null ? "" : name).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "pool '" + name + "' does not exist"));
    }

    Volume existingVolume(final String id) {
        return state.volume(id == null ? "" : id).orElseThrow(() ->
                reject(ErrorCode.NOT_FOUND, "volume " + id + " does not exist"));
    }

    /** RF no larger than the distinct failure domains among all registered chunk nodes. */
    void enoughDomains(final Pool pool, final String what) {
        final Set<String> domains = new HashSet<>();
        for (Node n : state.nodes()) {
            if (n.roles().contains(NodeRole.CHUNK)) {
                domains.add(pool.failureDomain().keyOf(n.id(), n.labels()));
            }
        }
        if (domains.size() < pool.replicationFactor()) {
            throw reject(ErrorCode.FAILED_PRECONDITION, what + " needs " + pool.replicationFactor() + " distinct "
                    + pool.failureDomain().name().toLowerCase(java.util.Locale.ROOT)
                    + " failure domains; the registered chunk nodes form " + domains.size());
        }
    }

    /** An UP node that runs the access role (the one a volume's I/O enters through). */
    void servingNode(final String id, final String what) {
        upNode(id, what);
        final Node n = existingNode(id);
        if (!n.roles().contains(NodeRole.ACCESS)) {
            throw reject(ErrorCode.FAILED_PRECONDITION, what + ": node '" + n.name() + "' (" + id
                    + ") does not run the access role");
        }
    }

    /** The placement has {@code count} extents, each a valid replica list for the pool. */
    void placement(final String what, final Pool pool, final ExtentPlacement p, final long count) {
        if (p == null || p.extentCount() != count) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " needs a placement for " + count + " extents, got "
                    + (p == null ? 0 : p.extentCount()));
        }
        for (int i = 0; i < p.extentCount(); i++) {
            for (Integer ix : p.replicas().get(i)) {
                if (ix == null || ix < 0 || ix >= p.nodes().size()) {
                    throw reject(ErrorCode.INVALID_ARGUMENT, what + ": placement of extent " + i
                            + " refers to node #" + ix + " outside its node table");
                }
            }
        }
        // Node checks once per distinct node, then per-extent domain checks against the cache.
        // A node that is gone or DOWN means the placement was planned on an older state: that has
        // a code of its own, so the planner plans again instead of parsing messages.
        for (String id : p.nodes()) {
            final Node n = node(id).orElseThrow(() -> reject(ErrorCode.STALE_PLACEMENT,
                    what + " placement: node " + id + " is not registered"));
            if (!n.up()) {
                throw reject(ErrorCode.STALE_PLACEMENT,
                        what + " placement: node '" + n.name() + "' (" + id + ") is DOWN");
            }
        }
        for (int i = 0; i < p.extentCount(); i++) {
            replicas(what + " extent " + i, pool, p.replicasOf(i));
        }
    }

    /** {@code RF} replicas on UP nodes in distinct failure domains. */
    void replicas(final String what, final Pool pool, final List<String> replicas) {
        if (replicas == null || replicas.size() != pool.replicationFactor()) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " needs " + pool.replicationFactor() + " replicas, got "
                    + (replicas == null ? 0 : replicas.size()));
        }
        final Set<String> domains = new HashSet<>();
        for (String id : replicas) {
            final Node n = node(id).orElseThrow(() ->
                    reject(ErrorCode.NOT_FOUND, what + ": replica node " + id + " is not registered"));
            if (!n.up()) {
                throw reject(ErrorCode.FAILED_PRECONDITION, what + ": replica node '" + n.name() + "' is DOWN");
            }
            if (!n.roles().contains(NodeRole.CHUNK)) {
                throw reject(ErrorCode.FAILED_PRECONDITION, what + ": replica node '" + n.name()
                        + "' does not run the chunk role");
            }
            if (!domains.add(pool.failureDomain().keyOf(n.id(), n.labels()))) {
                throw reject(ErrorCode.FAILED_PRECONDITION, what + ": replicas share failure domain "
                        + pool.failureDomain().keyOf(n.id(), n.labels()));
            }
        }
    }

    /** Enough free DATA capacity for {@code extra} more raw bytes of thick reservation. */
    void thickRoom(final String what, final long extra) {
        if (extra <= 0) {
            return;
        }
        final ClusterCapacity cap = state.capacity();
        if (extra > cap.freeForThickBytes()) {
            throw reject(ErrorCode.INSUFFICIENT_CAPACITY, what + " needs " + extra + " raw bytes of thick "
                    + "reservation but only " + cap.freeForThickBytes() + " of " + cap.dataCapacityBytes()
                    + " DATA bytes are free");
        }
    }

    void target(final IscsiTarget t) {
        final String what = "target " + t.iqn();
        if (t.alias() != null && !Names.isText(t.alias(), 255)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": alias must be 1-255 characters without control "
                    + "characters");
        }
        notNullElements(what + " LUNs", t.luns());
        final Set<Integer> numbers = new HashSet<>();
        final Set<String> volumes = new HashSet<>();
        for (Lun l : t.luns()) {
            if (l.number() < 0 || l.number() > 255) {
                throw reject(ErrorCode.INVALID_ARGUMENT, what + ": LUN number " + l.number() + " is not 0-255");
            }
            if (!numbers.add(l.number())) {
                throw reject(ErrorCode.INVALID_ARGUMENT, what + ": LUN " + l.number() + " is mapped twice");
            }
            final Volume v = existingVolume(l.volumeId());
            if (!volumes.add(v.id())) {
                throw reject(ErrorCode.INVALID_ARGUMENT, what + ": volume '" + v.name() + "' is mapped to two LUNs");
            }
        }
        notNullElements(what + " allowed initiators", t.allowedInitiators());
        final Set<String> initiators = new HashSet<>();
        for (String i : t.allowedInitiators()) {
            iscsiName(what + ": allowed initiator", i);
            if (!initiators.add(i)) {
                throw reject(ErrorCode.INVALID_ARGUMENT, what + ": initiator " + i + " is listed twice");
            }
        }
        if (t.chap() != null) {
            chap(what, t.chap());
        }
    }

    void chap(final String what, final ChapCredentials c) {
        if (!Names.isText(c.username(), 255)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": CHAP username must be 1-255 characters");
        }
        secret(what + ": CHAP secret", c.secret());
        if ((c.mutualUsername() == null) != (c.mutualSecret() == null)) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + ": mutual CHAP needs both a username and a secret");
        }
        if (c.mutualUsername() != null) {
            if (!Names.isText(c.mutualUsername(), 255)) {
                throw reject(ErrorCode.INVALID_ARGUMENT, what + ": mutual CHAP username must be 1-255 characters");
            }
            secret(what + ": mutual CHAP secret", c.mutualSecret());
        }
    }

    // GCM does not pad, so the plaintext length is visible without the key: the state machine can
    // enforce it although it never decrypts.
    private void secret(final String what, final SealedSecret s) {
        final int n = s == null ? -1 : s.plaintextLength();
        if (s == null || s.keyId() == null || s.nonce() == null || s.nonce().length != 12) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " is missing or not sealed");
        }
        if (n < ChapCredentials.MIN_SECRET_BYTES || n > ChapCredentials.MAX_SECRET_BYTES) {
            throw reject(ErrorCode.INVALID_ARGUMENT, what + " must be " + ChapCredentials.MIN_SECRET_BYTES + " to "
                    + ChapCredentials.MAX_SECRET_BYTES + " bytes (RFC 7143 minimum; the most common initiators "
                    + "accept at most 16), got " + n);
        }
    }
}
