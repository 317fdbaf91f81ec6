package io.keel.access.scsi.reservation;

import io.keel.access.scsi.ItNexus;
import java.util.ArrayList;
import java.util.List;

/**
 * An immutable snapshot of the persistent reservation state: registrations in registration order,
 * and the reservation ({@code type == null} when none). {@code holder} is the holding registration
 * for the holder types and {@code null} for the all-registrants types, whose holders are all
 * registrations.
 */
record PrState(int generation, boolean aptpl, List<Registration> registrations, ReservationType type,
        Registration holder) {

    static final PrState EMPTY = new PrState(0, false, List.of(), null, null);

    PrState {
        registrations = List.copyOf(registrations);
    }

    Registration find(final ItNexus nexus) {
        for (Registration r : registrations) {
            if (r.matches(nexus)) {
                return r;
            }
        }
        return null;
    }

    boolean reserved() {
        return type != null;
    }

    boolean isHolder(final Registration r) {
        if (type == null || r == null) {
            return false;
        }
        return type.allRegistrants || sameRegistrant(holder, r);
    }

    boolean isHolder(final ItNexus nexus) {
        return isHolder(find(nexus));
    }

    /** The reservation key READ RESERVATION reports: 0 for all-registrants types. */
    long reservationKey() {
        return type == null || type.allRegistrants ? 0 : holder.key();
    }

    static boolean sameRegistrant(final Registration a, final Registration b) {
        return a != null && b != null && a.initiatorName().equals(b.initiatorName()) && a.isid().equals(b.isid())
                && a.targetName().equals(b.targetName()) && a.portalGroupTag() == b.portalGroupTag()
                && a.allTargetPorts() == b.allTargetPorts();
    }

    PrState bumped() {
        return new PrState(generation + 1, aptpl, registrations, type, holder);
    }

    PrState withAptpl(final boolean value) {
        return new PrState(generation, value, registrations, type, holder);
    }

    PrState withReservation(final ReservationType newType, final Registration newHolder) {
        return new PrState(generation, aptpl, registrations, newType,
                newType == null || newType.allRegistrants ? null : newHolder);
    }

    PrState withRegistrations(final List<Registration> regs) {
        return new PrState(generation, aptpl, regs, type, holder);
    }

    /** Adds {@code r}, or replaces the key of the registration of the same registrant (the holder follows). */
    PrState put(final Registration r) {
        List<Registration> regs = new ArrayList<>(registrations);
        Registration newHolder = holder;
        boolean replaced = false;
        for (int i = 0; i < regs.size(); i++) {
            if (sameRegistrant(regs.get(i), r)) {
                regs.set(i, r);
                replaced = true;
            }
        }
        if (!replaced) {
            regs.add(r);
        }
        if (sameRegistrant(holder, r)) {
            newHolder = r;
        }
        return new PrState(generation, aptpl, regs, type, newHolder);
    }

    /**
     * Removes {@code r}. A holder-type reservation it held is released, and an all-registrants one
     * when no registration is left (SPC-4 5.9.11).
     */
    PrState remove(final Registration r) {
        List<Registration> regs = new ArrayList<>(registrations);
        regs.removeIf(x -> sameRegistrant(x, r));
        ReservationType newType = type;
        Registration newHolder = holder;
        if (type != null && (type.allRegistrants ? regs.isEmpty() : sameRegistrant(holder, r))) {
            newType = null;
            newHolder = null;
        }
        return new PrState(generation, aptpl, regs, newType, newHolder);
    }
}
