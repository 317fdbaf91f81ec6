package io.keel.appliance.cli;

/** Canned API bodies shaped as docs/rest-api.md describes them. */
final class TestData {

    static final String PASSWORD = "pw-Xk3v9Qa7";

    static final String POOL_GOLD = """
            {"name": "gold", "replicationFactor": 3, "provisioning": "THIN", "failureDomain": "RACK",
             "qos": {"iopsLimit": 5000, "bandwidthLimitBytes": 209715200}, "volumes": 2,
             "allocatedBytes": 10737418240}""";

    static final String POOL_SILVER = """
            {"name": "silver", "replicationFactor": 2, "provisioning": "THICK", "failureDomain": "NODE",
             "qos": {"iopsLimit": 0, "bandwidthLimitBytes": 0}, "volumes": 0, "allocatedBytes": 0}""";

    static final String VOLUME = """
            {"id": "v-0001", "name": "vm-01", "pool": "gold", "sizeBytes": 10737418240, "provisioning": "THIN",
             "state": "ONLINE", "servingNode": "node-a", "createdAt": "2026-11-02T10:00:00Z",
             "extentSize": 268435456, "extents": 40, "qos": {"iopsLimit": 2000, "bandwidthLimitBytes": 0},
             "qosSource": "VOLUME", "naa": "naa.6000000c68bc83259ce0ea28705fabc5",
             "physicalBlockBytes": 4096}""";

    static final String NODE = """
            {"id": "n-1", "name": "node-a", "rpcAddress": "10.0.0.1:7000", "restAddress": "10.0.0.1:8080",
             "labels": {"rack": "r1", "site": "s1"}, "roles": ["meta", "chunk", "access"], "state": "UP",
             "capacityBytes": 4398046511104, "freeBytes": 1649267441664, "lastHeartbeatMillisAgo": 1200}""";

    static final String DISK = """
            {"id": "d-1", "node": "node-a", "path": "/dev/nvme0n1", "role": "DATA",
             "capacityBytes": 2199023255552, "freeBytes": 1099511627776}""";

    static final String EXTENT = """
            {"id": "e-7", "index": 3, "replicas": ["node-a", "node-b"], "leader": "node-a", "epoch": 4,
             "underReplicated": false}""";

    static final String BAD_EXTENT = """
            {"volume": "vm-01", "id": "e-9", "index": 5, "replicas": ["node-a", "node-c"], "leader": "node-a",
             "epoch": 6, "underReplicated": true}""";

    static final String SNAPSHOT = """
            {"id": "s-1", "name": "before-upgrade", "volume": "vm-01", "sizeBytes": 10737418240,
             "createdAt": 1793613600000}""";

    static final String TARGET = """
            {"iqn": "iqn.2026-11.io.keel:web", "alias": "web", "luns": [{"lun": 0, "volume": "vm-01"},
             {"lun": 1, "volume": "vm-02", "readOnly": true}], "allowedInitiators": ["iqn.1998-01.com.vmware:esx1"],
             "chap": {"username": "esx", "mutualUsername": null}}""";

    static final String CLUSTER = """
            {"clusterId": "c-42", "leader": {"node": "node-a", "term": 7}, "nodes": {"up": 3, "down": 1}}""";

    private TestData() {
    }

    static String error(final String code, final String message) {
        return "{\"code\": \"" + code + "\", \"message\": \"" + message + "\"}";
    }

    static String list(final String... items) {
        return "[" + String.join(",", items) + "]";
    }
}
