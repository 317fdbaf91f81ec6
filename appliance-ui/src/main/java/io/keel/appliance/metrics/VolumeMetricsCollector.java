package io.keel.appliance.metrics;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.keel.access.volume.VolumeIoMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The volumes' I/O metrics ({@link VolumeIoMetrics}, {@code keel.volume.<id>.<metric>} in the
 * Dropwizard registry) as Prometheus families with the volume as labels ({@code volume_id}, and
 * {@code volume}, its name, while the volume exists): one {@code keel_volume_write_seconds} summary
 * with a series per volume, and so on (timers as summaries, meters as counters, counters as
 * gauges), rather than a family per volume (which a Prometheus server cannot aggregate).
 */
final class VolumeMetricsCollector implements MultiCollector {

    private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.99, 0.999};
    private static final double SECONDS_PER_NANO = 1e-9;

    private final MetricRegistry registry;
    private final Function<String, Optional<String>> volumeNames;

    /** Exports {@code registry}'s volume metrics, naming each volume by {@code volumeNames} (id to name). */
    VolumeMetricsCollector(final MetricRegistry registry, final Function<String, Optional<String>> volumeNames) {
        this.registry = registry;
        this.volumeNames = volumeNames;
    }

    /** Whether {@code dropwizardName} is a volume's metric, which this collector exports. */
    static boolean exports(final String dropwizardName) {
        return dropwizardName.startsWith(VolumeIoMetrics.PREFIX);
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, SummarySnapshot.Builder> summaries = new TreeMap<>();
        Map<String, CounterSnapshot.Builder> counters = new TreeMap<>();
        Map<String, GaugeSnapshot.Builder> gauges = new TreeMap<>();
        registry.getTimers((name, metric) -> exports(name)).forEach((name, timer) -> {
            Named named = Named.of(name, volumeNames);
            summaries.computeIfAbsent(named.metric(), metric -> SummarySnapshot.builder()
                    .name("keel_volume_" + metric + "_seconds")
                    .help("Keel volume " + metric + "s through this node, seconds from call to completion"))
                    .dataPoint(summary(timer, named.labels()));
        });
        registry.getMeters((name, metric) -> exports(name)).forEach((name, meter) -> {
            Named named = Named.of(name, volumeNames);
            counters.computeIfAbsent(named.metric(), metric -> CounterSnapshot.builder()
                    .name("keel_volume_" + metric)
                    .help("Keel volume " + metric.replace('_', ' ') + " through this node"))
                    .dataPoint(counter(meter, named.labels()));
        });
        registry.getCounters((name, metric) -> exports(name)).forEach((name, counter) -> {
            Named named = Named.of(name, volumeNames);
            gauges.computeIfAbsent(named.metric(), metric -> GaugeSnapshot.builder()
                    .name("keel_volume_" + metric)
                    .help("Keel volume calls " + metric.replace('_', ' ') + " on this node"))
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(named.labels())
                            .value(counter.getCount()).build());
        });
        List<MetricSnapshot> snapshots = new ArrayList<>();
        summaries.values().forEach(builder -> snapshots.add(builder.build()));
        counters.values().forEach(builder -> snapshots.add(builder.build()));
        gauges.values().forEach(builder -> snapshots.add(builder.build()));
        return new MetricSnapshots(snapshots);
    }

    private static SummarySnapshot.SummaryDataPointSnapshot summary(final Timer timer, final Labels labels) {
        Snapshot values = timer.getSnapshot();
        List<Quantile> quantiles = new ArrayList<>();
        for (double q : QUANTILES) {
            quantiles.add(new Quantile(q, values.getValue(q) * SECONDS_PER_NANO));
        }
        return SummarySnapshot.SummaryDataPointSnapshot.builder().labels(labels).count(timer.getCount())
                .quantiles(Quantiles.of(quantiles)).build();
    }

    private static CounterSnapshot.CounterDataPointSnapshot counter(final Meter meter, final Labels labels) {
        return CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(meter.getCount()).build();
    }

    /** A volume metric's Dropwizard name split into the volume id and the metric, with the volume's labels. */
    private record Named(String metric, Labels labels) {

        static Named of(final String dropwizardName, final Function<String, Optional<String>> volumeNames) {
            String rest = dropwizardName.substring(VolumeIoMetrics.PREFIX.length());
            int dot = rest.lastIndexOf('.');
            String volumeId = rest.substring(0, dot);
            Labels labels = volumeNames.apply(volumeId).map(name -> Labels.of("volume", name, "volume_id", volumeId))
                    .orElse(Labels.of("volume_id", volumeId));
            return new Named(rest.substring(dot + 1), labels);
        }
    }
}
