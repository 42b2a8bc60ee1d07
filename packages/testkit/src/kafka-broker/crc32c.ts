/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of a
 * RecordBatch v2 (Kafka documentation, "Message Format", Record Batch: "The
 * CRC is the CRC-32C (Castagnoli) polynomial"), one 256-entry table, byte at
 * a time. Check value (RFC 3720 §B.4 and the CRC catalogue): "123456789" ->
 * 0xE3069283.
 */

const POLY = 0x82f63b78;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
