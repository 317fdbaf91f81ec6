package io.keel.appliance.metrics;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.core.setup.Environment;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Serves every metric of the node's Dropwizard registry in the Prometheus text format on the
 * admin port, at {@value #PATH}.
 */
public final class PrometheusEndpoint {

    /** Where the admin server answers Prometheus scrapes. */
    public static final String PATH = "/metrics/prometheus";

    private PrometheusEndpoint() {
    }

    /** Adds the endpoint to {@code environment}'s admin server, exporting {@code metrics}. */
    public static void install(final Environment environment, final MetricRegistry metrics) {
        PrometheusRegistry registry = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(metrics).register(registry);
        environment.admin().addServlet("prometheus", new PrometheusMetricsServlet(registry)).addMapping(PATH);
    }
}
