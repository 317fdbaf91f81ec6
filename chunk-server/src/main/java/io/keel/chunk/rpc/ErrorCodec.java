package io.keel.chunk.rpc;

import io.keel.chunk.store.ChecksumMismatchException;
import io.keel.chunk.store.ExtentExistsException;
import io.keel.chunk.store.ExtentNotFoundException;
import io.keel.chunk.store.StaleEpochException;
import io.keel.chunk.store.StoreFullException;
import io.keel.runtime.rpc.RpcRemoteException;
import io.keel.runtime.rpc.RpcStatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns store exceptions into error statuses and back. The RPC layer carries only a status and a message, so
 * the domain exceptions travel as a message of space-separated {@code key=value} fields from which the client
 * rebuilds the exception (and with it the very message the local store would have produced).
 */
final class ErrorCodec {

    /** Room left for the encoded device path inside the RPC layer's 1000-character message limit. */
    static final int MAX_DEVICE_CHARS = 800;

    private ErrorCodec() {
    }

    /** The error status answering {@code failure}, thrown by the store or by request decoding. */
    static RpcStatusException toStatus(final Exception failure) {
        return switch (failure) {
            case RpcStatusException status -> status;
            // stats() cannot throw a checked exception; a store may wrap its I/O failure this way.
            case UncheckedIOException e -> toStatus(e.getCause());
            case ExtentNotFoundException e -> new RpcStatusException(ExtentStoreRpc.EXTENT_NOT_FOUND,
                    "extent=" + e.extentId());
            case ExtentExistsException e -> new RpcStatusException(ExtentStoreRpc.EXTENT_EXISTS,
                    "extent=" + e.extentId());
            case StaleEpochException e -> new RpcStatusException(ExtentStoreRpc.STALE_EPOCH,
                    "extent=" + e.extentId() + " request=" + e.requestEpoch()
                    + " current=" + e.currentEpoch());
            case ChecksumMismatchException e -> new RpcStatusException(ExtentStoreRpc.CHECKSUM_MISMATCH,
                    checksumFields(e));
            case StoreFullException e -> new RpcStatusException(ExtentStoreRpc.STORE_FULL, String.valueOf(
                    e.getMessage()));
            case IllegalArgumentException e -> new RpcStatusException(ExtentStoreRpc.BAD_ARGUMENT, String.valueOf(
                    e.getMessage()));
            case IOException e -> new RpcStatusException(ExtentStoreRpc.IO_ERROR, e.toString());
            default -> new RpcStatusException(ExtentStoreRpc.INTERNAL, failure.toString());
        };
    }

    /**
     * The exception a local store would have thrown for {@code remote}: a store exception, an
     * {@link IllegalArgumentException}, an {@link IllegalStateException} or, for statuses that are not about the
     * store, an {@link IOException} with {@code remote} as its cause (or {@code remote} itself).
     */
    static Exception fromStatus(final RpcRemoteException remote) {
        String message = remote.remoteMessage();
        try {
            return switch (remote.status()) {
                case ExtentStoreRpc.EXTENT_NOT_FOUND -> new ExtentNotFoundException(
                        longField(fields(message), "extent"));
                case ExtentStoreRpc.EXTENT_EXISTS -> new ExtentExistsException(longField(fields(message), "extent"));
                case ExtentStoreRpc.STALE_EPOCH -> {
                    Map<String, String> fields = fields(message);
                    yield new StaleEpochException(longField(fields, "extent"), longField(fields, "request"),
                            longField(fields, "current"));
                }
                case ExtentStoreRpc.CHECKSUM_MISMATCH -> checksumMismatch(fields(message));
                case ExtentStoreRpc.STORE_FULL -> new StoreFullException(message);
                case ExtentStoreRpc.BAD_ARGUMENT -> new IllegalArgumentException(message, remote);
                case ExtentStoreRpc.INTERNAL -> new IllegalStateException("remote store " + remote.peer() + ": "
                        + message, remote);
                case ExtentStoreRpc.IO_ERROR, ExtentStoreRpc.BAD_REQUEST, ExtentStoreRpc.TOO_LARGE ->
                        new IOException("remote store " + remote.peer() + ": " + message, remote);
                default -> remote;
            };
        } catch (IllegalArgumentException malformed) {
            // Also NumberFormatException and InvalidPathException.
            return new IOException("remote store " + remote.peer() + " sent a malformed error for status "
                    + remote.status() + ": " + message, remote);
        }
    }

    private static String checksumFields(final ChecksumMismatchException e) {
        String device = URLEncoder.encode(String.valueOf(e.device()), StandardCharsets.UTF_8);
        if (device.length() > MAX_DEVICE_CHARS) {
            // Keep the end of the path (the device's own name); a cut escape sequence is dropped too.
            int from = device.length() - MAX_DEVICE_CHARS;
            while (from < device.length() && device.charAt(from) != '%' && device.charAt(from) != '/'
                    && device.charAt(from) != '+') {
                from++;
            }
            device = URLEncoder.encode("...", StandardCharsets.UTF_8) + device.substring(from);
        }
        return "extent=" + e.extentId() + " extentOffset=" + e.extentOffset() + " deviceOffset="
                + e.deviceOffset() + " expected=" + String.format("%08x", e.expectedCrc()) + " actual="
                + String.format("%08x", e.actualCrc()) + " device=" + device;
    }

    private static ChecksumMismatchException checksumMismatch(final Map<String, String> fields) {
        String device = URLDecoder.decode(field(fields, "device"), StandardCharsets.UTF_8);
        return new ChecksumMismatchException(Path.of(device), longField(fields, "deviceOffset"),
                longField(fields, "extent"), longField(fields, "extentOffset"), crcField(fields, "expected"),
                crcField(fields, "actual"));
    }

    /** Parses {@code key=value key=value ...}; throws IllegalArgumentException on anything else. */
    static Map<String, String> fields(final String message) {
        Map<String, String> fields = new HashMap<>();
        for (String token : message.split(" ", -1)) {
            int equals = token.indexOf('=');
            if (equals <= 0 || fields.put(token.substring(0, equals), token.substring(equals + 1)) != null) {
                throw new IllegalArgumentException("not a key=value field: " + token);
            }
        }
        return fields;
    }

    private static String field(final Map<String, String> fields, final String key) {
        String value = fields.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing field " + key);
        }
        return value;
    }

    private static long longField(final Map<String, String> fields, final String key) {
        return Long.parseLong(field(fields, key));
    }

    private static int crcField(final Map<String, String> fields, final String key) {
        String value = field(fields, key);
        if (value.length() != 8) {
            throw new IllegalArgumentException("a CRC has 8 hex digits: " + value);
        }
        return (int) Long.parseLong(value, 16);
    }
}
