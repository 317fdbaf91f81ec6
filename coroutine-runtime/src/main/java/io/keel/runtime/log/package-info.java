/** Logging helpers shared by the servers: rate-limited lines for what remote peers can trigger. */
package io.keel.runtime.log;
