package io.keel.runtime.context;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that touches the JDK's hidden virtual-thread API: the builder that takes a
 * custom scheduler ({@code java.lang.ThreadBuilders$VirtualThreadBuilder(Executor)}) and
 * {@code Thread.currentCarrierThread()}. Both are reachable only with
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}. When they are missing (the option was not
 * given, or a later JDK removed them) the runtime selects its fallback and says so in one log line.
 */
public final class VirtualThreadFactory {

    private static final Logger LOG = LoggerFactory.getLogger(VirtualThreadFactory.class);
    private static final String BUILDER_CLASS = "java.lang.ThreadBuilders$VirtualThreadBuilder";

    private static final MethodHandle NEW_BUILDER;
    private static final MethodHandle CURRENT_CARRIER;

    static {
        MethodHandle[] handles = lookUpHiddenApi();
        NEW_BUILDER = handles[0];
        CURRENT_CARRIER = handles[1];
    }

    private VirtualThreadFactory() {
    }

    /** Returns {builder constructor, currentCarrierThread}, or two nulls when they are unavailable. */
    @SuppressWarnings("checkstyle:IllegalCatch")
    private static MethodHandle[] lookUpHiddenApi() {
        try {
            Class<?> builderClass = Class.forName(BUILDER_CLASS);
            MethodHandles.Lookup builderLookup = MethodHandles.privateLookupIn(builderClass, MethodHandles.lookup());
            MethodHandle newBuilder = builderLookup
                    .findConstructor(builderClass, MethodType.methodType(void.class, Executor.class))
                    .asType(MethodType.methodType(Thread.Builder.OfVirtual.class, Executor.class));
            MethodHandles.Lookup threadLookup = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup());
            MethodHandle currentCarrier = threadLookup.findStatic(Thread.class, "currentCarrierThread",
                    MethodType.methodType(Thread.class));
            // Prove the builder works before relying on it: an unstarted thread costs nothing.
            Executor inline = Runnable::run;
            Thread.Builder.OfVirtual probe = (Thread.Builder.OfVirtual) newBuilder.invokeExact(inline);
            probe.unstarted(() -> { });
            return new MethodHandle[] {newBuilder, currentCarrier};
        } catch (Throwable unavailable) {
            // Any failure here (missing class, module not opened, changed signature) means one thing:
            // no custom scheduler. The reason is logged once; the runtime keeps working on its fallback.
            LOG.warn("Virtual threads with a custom scheduler are unavailable ({}); thread contexts fall back to "
                    + "running guarded blocks by holding the target context. Run the JVM with "
                    + "--add-opens java.base/java.lang=ALL-UNNAMED to enable them.", unavailable.toString());
            return new MethodHandle[2];
        }
    }

    /** True when virtual threads can be given a custom scheduler in this JVM. */
    public static boolean customSchedulerAvailable() {
        return NEW_BUILDER != null;
    }

    /**
     * A virtual-thread builder whose threads hand every continuation to {@code scheduler}.
     *
     * @throws IllegalStateException when {@link #customSchedulerAvailable()} is false
     */
    @SuppressWarnings("checkstyle:IllegalCatch")
    static Thread.Builder.OfVirtual builder(final Executor scheduler) {
        if (NEW_BUILDER == null) {
            throw new IllegalStateException("virtual threads with a custom scheduler are unavailable in this JVM");
        }
        try {
            return (Thread.Builder.OfVirtual) NEW_BUILDER.invokeExact(scheduler);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable impossible) {
            throw new IllegalStateException("virtual-thread builder failed", impossible);
        }
    }

    /** The platform thread the calling thread runs on (itself, for a platform thread). */
    @SuppressWarnings("checkstyle:IllegalCatch")
    static Thread currentCarrierThread() {
        if (CURRENT_CARRIER == null) {
            return Thread.currentThread();
        }
        try {
            return (Thread) CURRENT_CARRIER.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable impossible) {
            throw new IllegalStateException("Thread.currentCarrierThread failed", impossible);
        }
    }
}
