package io.keel.appliance.config;

import static io.keel.appliance.config.Sections.violations;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The iSCSI section of the node's YAML: defaults filled in, limits refused naming the setting. */
class IscsiSettingsTest {

    private static IscsiSettings parse(final String json) throws Exception {
        return Sections.parse(json, IscsiSettings.class);
    }

    @Test
    void anEmptySectionGetsTheDocumentedDefaults() throws Exception {
        IscsiSettings settings = parse("{}");
        assertThat(settings.listen()).isEqualTo(List.of("0.0.0.0:3260"));
        assertThat(settings.queueDepth()).isEqualTo(128);
        assertThat(settings.maxConnections()).isEqualTo(1024);
        assertThat(violations(settings)).isEmpty();
    }

    @Test
    void limitsOutsideTheirRangeAreRefusedNamingTheSetting() throws Exception {
        assertThat(violations(parse("{\"maxConnections\": 65536, \"queueDepth\": 1024}"))).isEmpty();
        assertThat(violations(parse("{\"maxConnections\": 65537}"))).containsExactly("maxConnections");
        assertThat(violations(parse("{\"maxConnections\": -1}"))).containsExactly("maxConnections");
        assertThat(violations(parse("{\"queueDepth\": 1025}"))).containsExactly("queueDepth");
    }
}
