package io.keel.runtime.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** {@link Libc}: binds real functions, reports the errno a failed call left, refuses a missing one. */
class LibcTest {

    private static final int EBADF = 9;

    @Test
    void aBoundFunctionAnswersAndAFailedOneLeavesItsErrno() throws Throwable {
        assumeTrue(Libc.linux64(), "the errno numbers below are Linux's");
        MethodHandle getpid = Libc.function("getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        assertThat((long) (int) getpid.invokeExact()).isEqualTo(ProcessHandle.current().pid());
        MethodHandle close = Libc.functionSettingErrno("close",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int result = (int) close.invokeExact(state, -1);
            assertThat(result).isEqualTo(-1);
            assertThat(Libc.errno(state)).isEqualTo(EBADF);
        }
    }

    @Test
    void aFunctionLibcDoesNotHaveIsRefusedByName() {
        assertThatThrownBy(() -> Libc.function("keel_no_such_function", FunctionDescriptor.ofVoid()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("keel_no_such_function");
    }
}
