package io.keel.meta.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void addresses() {
        assertThat(Names.isAddress("10.0.0.1:7000")).isTrue();
        assertThat(Names.isAddress("node-1.example.com:1")).isTrue();
        assertThat(Names.isAddress("[fe80::1]:3260")).isTrue();
        assertThat(Names.isAddress("host:0")).isFalse();
        assertThat(Names.isAddress("host:65536")).isFalse();
        assertThat(Names.isAddress(":80")).isFalse();
        assertThat(Names.isAddress("host")).isFalse();
    }

    @Test
    void failureDomainKeys() {
        assertThat(FailureDomain.RACK.keyOf("n1", new NodeLabels("r1", null))).isEqualTo("rack:r1");
        assertThat(FailureDomain.RACK.keyOf("n1", NodeLabels.NONE)).isEqualTo("node:n1");
        assertThat(FailureDomain.SITE.keyOf("n1", new NodeLabels("r1", "s1"))).isEqualTo("site:s1");
        assertThat(FailureDomain.NODE.keyOf("n1", new NodeLabels("r1", "s1"))).isEqualTo("node:n1");
    }
}
