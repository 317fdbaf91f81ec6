package io.keel.runtime.platform;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The C library functions Keel calls through the foreign function API where the JDK offers no API
 * (Linux AIO, epoll on a socket, a send that must not wait): binding them and reading the
 * {@code errno} a call left. Native access must be enabled ({@code --enable-native-access}); where
 * it is not, or libc lacks a function, binding throws and the caller does without.
 */
public final class Libc {

    /** {@code errno} values (the same on x86-64 and AArch64 Linux, see {@link #linux64}). */
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int ENOBUFS = 105;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private Libc() {
    }

    /**
     * A handle on libc's {@code name}. Throws IllegalStateException when libc has no such function,
     * IllegalCallerException or UnsupportedOperationException when native access is refused.
     */
    @SuppressWarnings("restricted")
    public static MethodHandle function(final String name, final FunctionDescriptor descriptor,
            final Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /**
     * As {@link #function}, capturing {@code errno}: the handle takes a segment from
     * {@link #callState} before the function's own arguments, and {@link #errno} reads it after a
     * failed call.
     */
    public static MethodHandle functionSettingErrno(final String name, final FunctionDescriptor descriptor,
            final Linker.Option... options) {
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return function(name, descriptor, all);
    }

    /** Room for the {@code errno} of calls through {@link #functionSettingErrno}. */
    public static MemorySegment callState(final Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The {@code errno} the last call through {@code callState} left. */
    public static int errno(final MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** Linux on x86-64 or AArch64: where Keel knows the structure layouts and numbers it passes. */
    public static boolean linux64() {
        String arch = System.getProperty("os.arch", "");
        return System.getProperty("os.name", "").startsWith("Linux")
                && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
    }
}
