package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a target's entry decides: who may log in, and what a session of another target may reach in it. */
class TargetEntryTest {

    private static final String HOST = "iqn.1998-01.com.vmware:esx1";
    private static final ChapSecrets ESX = new ChapSecrets("esx", "esx-secret-12".getBytes(), null, null);

    private static TargetEntry target(final List<String> allowed, final ChapSecrets chap) {
        return new TargetEntry("iqn.2026-01.io.keel:t", null, allowed, chap, null);
    }

    @Test
    void aSessionReachesAnotherTargetOnlyWithWhatItCouldLogInThereWith() {
        TargetEntry open = target(List.of(), null);
        TargetEntry chap = target(List.of(HOST), ESX);
        // No CHAP there: its ACL decides.
        assertThat(open.reachableFrom(chap, HOST)).isTrue();
        assertThat(target(List.of("iqn.1998-01.com.vmware:esx2"), null).reachableFrom(chap, HOST)).isFalse();
        // CHAP there: only a session that proved the same user and secret.
        assertThat(chap.reachableFrom(open, HOST)).as("a name anyone may claim is not enough").isFalse();
        assertThat(chap.reachableFrom(target(List.of(HOST), ESX), HOST)).isTrue();
        assertThat(chap.reachableFrom(target(List.of(HOST),
                new ChapSecrets("esx", "other-secret-1".getBytes(), null, null)), HOST)).isFalse();
        assertThat(chap.reachableFrom(target(List.of(HOST),
                new ChapSecrets("esx2", "esx-secret-12".getBytes(), null, null)), HOST)).isFalse();
        assertThat(target(List.of("iqn.1998-01.com.vmware:esx2"), ESX).reachableFrom(chap, HOST)).isFalse();
    }
}
