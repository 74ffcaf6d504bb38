/** Size limits of what printers send (README, "Data formats"). */

/** Largest accepted reading payload, in bytes, as received. */
export const MAX_PAYLOAD_BYTES = 8 * 1024;

/** Longest accepted printer id, in characters. */
export const MAX_PRINTER_ID_LENGTH = 128;
