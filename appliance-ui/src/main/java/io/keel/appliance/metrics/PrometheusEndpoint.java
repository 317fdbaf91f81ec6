package io.keel.appliance.metrics;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.core.setup.Environment;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Optional;
import java.util.function.Function;

/**
 * Serves every metric of the node's Dropwizard registry in the Prometheus text format on the
 * admin port, at {@value #PATH}; the volumes' I/O metrics as families labelled by volume
 * ({@link VolumeMetricsCollector}).
 */
public final class PrometheusEndpoint {

    /** Where the admin server answers Prometheus scrapes. */
    public static final String PATH = "/metrics/prometheus";

    private PrometheusEndpoint() {
    }

    /**
     * Adds the endpoint to {@code environment}'s admin server, exporting {@code metrics}; volumes
     * are labelled with the names {@code volumeNames} gives their ids.
     */
    public static void install(final Environment environment, final MetricRegistry metrics,
            final Function<String, Optional<String>> volumeNames) {
        environment.admin().addServlet("prometheus", new PrometheusMetricsServlet(exporting(metrics, volumeNames)))
                .addMapping(PATH);
    }

    /** A Prometheus registry that exports {@code metrics} at every scrape. */
    static PrometheusRegistry exporting(final MetricRegistry metrics,
            final Function<String, Optional<String>> volumeNames) {
        PrometheusRegistry registry = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(metrics)
                .metricFilter((name, metric) -> !VolumeMetricsCollector.exports(name)).register(registry);
        registry.register(new VolumeMetricsCollector(metrics, volumeNames));
        return registry;
    }
}
