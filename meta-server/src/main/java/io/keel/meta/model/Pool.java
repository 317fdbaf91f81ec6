package io.keel.meta.model;

/** A storage policy: replication factor, provisioning, failure domain and default QoS of its volumes. */
public record Pool(String name, int replicationFactor, Provisioning provisioning, FailureDomain failureDomain,
        QosLimits qos, long createdAt) {

    /** Normalises absent QoS to unlimited. */
    public Pool {
        qos = qos == null ? QosLimits.UNLIMITED : qos;
    }
}
