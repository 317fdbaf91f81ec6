/**
 * The volume client: maps a volume's byte ranges to extents and sends each piece to the chunk
 * store that holds it; the {@link io.keel.access.scsi.BlockBackend} of every LUN.
 */
package io.keel.access.volume;
