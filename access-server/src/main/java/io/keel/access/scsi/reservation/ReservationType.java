package io.keel.access.scsi.reservation;

/** The persistent reservation types of SPC-4 6.16.3 (TYPE field codes). */
enum ReservationType {
    WRITE_EXCLUSIVE(0x1, true, false, false),
    EXCLUSIVE_ACCESS(0x3, false, false, false),
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5, true, true, false),
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6, false, true, false),
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7, true, true, true),
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8, false, true, true);

    final int code;
    /** Reads are allowed to everyone. */
    final boolean writeExclusive;
    /** Registered nexuses get full access (registrants-only and all-registrants types). */
    final boolean registrantsAccess;
    /** Every registered nexus is a reservation holder. */
    final boolean allRegistrants;

    ReservationType(final int code, final boolean writeExclusive, final boolean registrantsAccess,
            final boolean allRegistrants) {
        this.code = code;
        this.writeExclusive = writeExclusive;
        this.registrantsAccess = registrantsAccess;
        this.allRegistrants = allRegistrants;
    }

    /** The type for {@code code}, or {@code null} when it is not a valid persistent reservation type. */
    static ReservationType fromCode(final int code) {
        for (ReservationType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
