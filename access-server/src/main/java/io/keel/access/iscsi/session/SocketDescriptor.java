package io.keel.access.iscsi.session;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.nio.channels.SocketChannel;

/**
 * The file descriptor behind a socket channel, for the few system calls the JDK offers no API for
 * (epoll on a busy reader's socket, a send that must not wait). It is read from the JDK's own field,
 * which needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}; without it callers do without.
 */
final class SocketDescriptor {

    private static final Field FD_VAL = lookUp();

    private SocketDescriptor() {
    }

    private static Field lookUp() {
        try {
            Field field = Class.forName("sun.nio.ch.SocketChannelImpl").getDeclaredField("fdVal");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | InaccessibleObjectException | SecurityException e) {
            return null;
        }
    }

    /** Whether descriptors can be read here. */
    static boolean available() {
        return FD_VAL != null;
    }

    /** {@code channel}'s descriptor, or -1 where it cannot be read. */
    static int of(final SocketChannel channel) {
        if (FD_VAL == null) {
            return -1;
        }
        try {
            return FD_VAL.getInt(channel);
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return -1;
        }
    }
}
