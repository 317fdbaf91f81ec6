package io.keel.appliance;

import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.keel.appliance.metrics.PrometheusEndpoint;

/**
 * The Keel node process: reads the YAML configuration, starts the roles it enables (embedded
 * ZooKeeper, meta, chunk, access) in dependency order, serves the REST API, health checks and
 * metrics, and stops everything in reverse order.
 */
public final class KeelNode extends Application<KeelNodeConfiguration> {

    /** Starts a node: {@code server <config.yml>}, or {@code check <config.yml>} to validate one. */
    public static void main(final String[] args) throws Exception {
        new KeelNode().run(args);
    }

    @Override
    public String getName() {
        return "keel-node";
    }

    @Override
    public void initialize(final Bootstrap<KeelNodeConfiguration> bootstrap) {
        // Nothing to add: configuration comes from the YAML file given on the command line.
    }

    @Override
    public void run(final KeelNodeConfiguration configuration, final Environment environment) throws Exception {
        PrometheusEndpoint.install(environment, environment.metrics());
    }
}
