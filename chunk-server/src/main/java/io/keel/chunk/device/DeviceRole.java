package io.keel.chunk.device;

/** What a formatted device is for; stored in the superblock as a u32 code. */
public enum DeviceRole {
    /** Extents' data blocks, checkpoint slots, and (unless they live elsewhere) the workers' journals. */
    DATA(1),
    /** Only the workers' journals, for a fast device in front of a DATA device. */
    JOURNAL_CACHE(2);

    private final int code;

    DeviceRole(int code) {
        this.code = code;
    }

    /** The on-disk code. */
    public int code() {
        return code;
    }

    /** The role with on-disk {@code code}, or null if this version knows none. */
    public static DeviceRole fromCode(int code) {
        for (DeviceRole role : values()) {
            if (role.code == code) {
                return role;
            }
        }
        return null;
    }
}
