package io.keel.access.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteBudgetTest {

    @Test
    void writesBeyondTheBudgetWaitUntilBytesComeBackThenRetryInOrder() {
        WriteBudget budget = new WriteBudget(100);
        List<String> retried = new ArrayList<>();
        assertThat(budget.tryReserve(60, () -> retried.add("first"))).isTrue();
        assertThat(budget.tryReserve(30, () -> retried.add("second"))).isTrue();
        assertThat(budget.tryReserve(20, () -> retried.add("third"))).isFalse();
        assertThat(budget.tryReserve(50, () -> retried.add("fourth"))).isFalse();
        assertThat(budget.reserved()).isEqualTo(90);

        budget.release(30);
        assertThat(retried).containsExactly("third", "fourth");
        assertThat(budget.reserved()).isEqualTo(60);
    }

    @Test
    void aRequestLargerThanTheWholeBudgetRunsAloneRatherThanNever() {
        WriteBudget budget = new WriteBudget(100);
        assertThat(budget.tryReserve(500, () -> { })).isTrue();
        assertThat(budget.tryReserve(1, () -> { })).isFalse();
        budget.release(500);
        assertThat(budget.reserved()).isZero();
        assertThat(budget.tryReserve(1, () -> { })).isTrue();
    }
}
