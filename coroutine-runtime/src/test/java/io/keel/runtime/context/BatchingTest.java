package io.keel.runtime.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Batching}: deferral to a group's end, once per key, in order, whatever fails. */
class BatchingTest {

    @Test
    void outsideAGroupNothingIsDeferred() {
        assertThat(Batching.deferOnce("key", () -> { })).isFalse();
    }

    @Test
    void actionsRunOncePerKeyInTheOrderFirstDeferredWhenTheGroupEnds() {
        List<String> ran = new ArrayList<>();
        Batching.run(() -> {
            assertThat(Batching.deferOnce("a", () -> ran.add("a"))).isTrue();
            assertThat(Batching.deferOnce("b", () -> ran.add("b"))).isTrue();
            assertThat(Batching.deferOnce("a", () -> ran.add("a again"))).isTrue();
            assertThat(ran).isEmpty();
        });
        assertThat(ran).containsExactly("a", "b");
        assertThat(Batching.deferOnce("a", () -> { })).as("the group is over").isFalse();
    }

    @Test
    void aFlushRunsWhatWasDeferredAndTheGroupStaysOpen() {
        List<String> ran = new ArrayList<>();
        try (Batching.Group group = Batching.open()) {
            Batching.deferOnce("a", () -> ran.add("a"));
            group.flush();
            assertThat(ran).containsExactly("a");
            Batching.deferOnce("a", () -> ran.add("a, second time"));
        }
        assertThat(ran).containsExactly("a", "a, second time");
    }

    @Test
    void flushCurrentFlushesThisThreadsGroupAndIsHarmlessWithoutOne() {
        Batching.flushCurrent();
        List<String> ran = new ArrayList<>();
        try (Batching.Group group = Batching.open()) {
            Batching.deferOnce("a", () -> ran.add("a"));
            Batching.flushCurrent();
            assertThat(ran).containsExactly("a");
        }
        assertThat(ran).containsExactly("a");
    }

    @Test
    void actionsDeferredByActionsRunInTheSameFlush() {
        List<String> ran = new ArrayList<>();
        Batching.run(() -> Batching.deferOnce("outer", () -> {
            ran.add("outer");
            Batching.deferOnce("inner", () -> ran.add("inner"));
        }));
        assertThat(ran).containsExactly("outer", "inner");
    }

    @Test
    void aNestedGroupBelongsToTheOuterOne() {
        List<String> ran = new ArrayList<>();
        try (Batching.Group outer = Batching.open()) {
            try (Batching.Group inner = Batching.open()) {
                Batching.deferOnce("a", () -> ran.add("a"));
                inner.flush();
            }
            assertThat(ran).as("only the outer group flushes").isEmpty();
        }
        assertThat(ran).containsExactly("a");
    }

    @Test
    void onlyANonBlockingGroupSaysItsThreadMustNotBlock() {
        assertThat(Batching.mayBlock()).isTrue();
        Batching.run(() -> assertThat(Batching.mayBlock()).isTrue());
        List<Boolean> seen = new ArrayList<>();
        try (Batching.Group group = Batching.openNonBlocking()) {
            seen.add(Batching.mayBlock());
            Batching.run(() -> seen.add(Batching.mayBlock()));
            Batching.deferOnce("a", () -> seen.add(Batching.mayBlock()));
        }
        assertThat(seen).as("inside, nested, and in its deferred actions").containsExactly(false, false, false);
        assertThat(Batching.mayBlock()).isTrue();
    }

    @Test
    void aNonBlockingGroupInsideOneThatMayBlockIsAGroupOfItsOwn() {
        List<String> ran = new ArrayList<>();
        try (Batching.Group outer = Batching.open()) {
            Batching.deferOnce("outer", () -> ran.add("outer"));
            try (Batching.Group inner = Batching.openNonBlocking()) {
                assertThat(Batching.mayBlock()).isFalse();
                Batching.deferOnce("inner", () -> ran.add("inner " + Batching.mayBlock()));
                try (Batching.Group nested = Batching.openNonBlocking()) {
                    Batching.deferOnce("nested", () -> ran.add("nested"));
                }
                assertThat(ran).as("a group inside the non-blocking one is part of it").isEmpty();
            }
            assertThat(ran).as("it ran what it deferred when it closed, still unable to block")
                    .containsExactly("inner false", "nested");
            assertThat(Batching.mayBlock()).isTrue();
            Batching.deferOnce("after", () -> ran.add("after"));
        }
        assertThat(ran).containsExactly("inner false", "nested", "outer", "after");
        assertThat(Batching.mayBlock()).isTrue();
        assertThat(Batching.deferOnce("late", () -> { })).as("no group is left open").isFalse();
    }

    @Test
    void everyActionRunsWhenEarlierOnesOrTheGroupThrowAndTheFirstFailureComesOut() {
        List<String> ran = new ArrayList<>();
        assertThatThrownBy(() -> Batching.run(() -> {
            Batching.deferOnce("a", () -> {
                throw new IllegalStateException("a failed");
            });
            Batching.deferOnce("b", () -> ran.add("b"));
            throw new IllegalArgumentException("the group failed");
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("the group failed")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessage("a failed")));
        assertThat(ran).containsExactly("b");
        assertThat(Batching.deferOnce("c", () -> { })).isFalse();
    }
}
