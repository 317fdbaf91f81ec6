package io.keel.appliance.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.volume.VolumeIoMetrics;
import io.keel.runtime.time.SystemClock;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PrometheusEndpointTest {

    @Test
    void eachVolumeMetricIsOneFamilyWithAVolumeLabelBesideTheOtherMetrics() throws IOException {
        MetricRegistry metrics = new MetricRegistry();
        new VolumeIoMetrics("vol-a", SystemClock.INSTANCE).register(metrics);
        new VolumeIoMetrics("vol-b", SystemClock.INSTANCE).register(metrics);
        metrics.getTimers().get("keel.volume.vol-a.write").update(2, TimeUnit.MILLISECONDS);
        metrics.getMeters().get("keel.volume.vol-b.read_bytes").mark(8192);
        metrics.timer("iscsi.command.latency").update(1, TimeUnit.MILLISECONDS);

        // vol-a has a name; vol-b's is unknown (the volume was deleted meanwhile, say).
        MetricSnapshots scraped = PrometheusEndpoint.exporting(metrics,
                id -> id.equals("vol-a") ? Optional.of("alpha") : Optional.empty()).scrape();

        assertThat(scraped.stream().map(snapshot -> snapshot.getMetadata().getPrometheusName()))
                .contains("keel_volume_read_seconds", "keel_volume_write_seconds", "keel_volume_read_bytes",
                        "keel_volume_write_bytes", "keel_volume_errors", "keel_volume_in_flight",
                        "iscsi_command_latency")
                .noneMatch(name -> name.contains("vol_a") || name.contains("vol_b"));
        MetricSnapshot writes = scraped.stream()
                .filter(snapshot -> snapshot.getMetadata().getPrometheusName().equals("keel_volume_write_seconds"))
                .findFirst().orElseThrow();
        assertThat(writes.getDataPoints()).hasSize(2);

        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(text, scraped);
        assertThat(text.toString(StandardCharsets.UTF_8))
                .contains("keel_volume_write_seconds_count{volume=\"alpha\",volume_id=\"vol-a\"} 1")
                .contains("keel_volume_write_seconds_count{volume_id=\"vol-b\"} 0")
                .contains("keel_volume_write_seconds{volume=\"alpha\",volume_id=\"vol-a\",quantile=\"0.5\"} 0.002")
                .contains("keel_volume_read_bytes_total{volume_id=\"vol-b\"} 8192")
                .contains("keel_volume_in_flight{volume=\"alpha\",volume_id=\"vol-a\"} 0");
    }
}
