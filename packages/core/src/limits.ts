/**
 * Hard limits on untrusted input. Each is checked before any expensive work
 * (SPEC.md §8) and each has a test at max and max+1. Callers may lower them,
 * and may raise them only up to the absolute ceilings.
 */

export interface Limits {
  /** Whole envelope, bytes. Default 16 MiB (larger payloads use the streaming mode). */
  maxEnvelopeBytes: number;
  /**
   * Protected header, bytes. Default 64 KiB: room for 54 X-Wing recipients;
   * up to 1024 of them need it raised (ceiling 2 MiB, SPEC.md §8).
   */
  maxHeaderBytes: number;
  /** Recipient entries. Default 64. */
  maxRecipients: number;
  /** Entries in any one CBOR map or array of the header other than the recipients. Default 32. */
  maxHeaderFields: number;
  /** Depth of every CBOR item of the header and of inner records, scalars included (SPEC.md §3.1). Default 8. */
  maxCborDepth: number;
  /** Any text string of the header or of an inner record (content type, claim, sender name), UTF-8 bytes. Default 1024. */
  maxStringBytes: number;
  /** Bound context, bytes. Default 4096. */
  maxContextBytes: number;
  /**
   * Lifetime a sealer gives a message, response or stream (`ttl`, or
   * `expiresAt` less issued-at), seconds. Default 7 days. Seal side only.
   */
  maxTtlSeconds: number;
}

/** The default hard input limits of SPEC.md §8; a caller may only tighten them (`limits`). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxEnvelopeBytes: 16 * 1024 * 1024,
  maxHeaderBytes: 64 * 1024,
  maxRecipients: 64,
  maxHeaderFields: 32,
  maxCborDepth: 8,
  maxStringBytes: 1024,
  maxContextBytes: 4096,
  maxTtlSeconds: 7 * 24 * 3600,
});

/** Absolute ceilings: a caller cannot raise a limit past these. */
export const MAX_LIMITS: Readonly<Limits> = Object.freeze({
  maxEnvelopeBytes: 256 * 1024 * 1024,
  maxHeaderBytes: 2 * 1024 * 1024,
  maxRecipients: 1024,
  maxHeaderFields: 256,
  maxCborDepth: 16,
  maxStringBytes: 0xffff,
  maxContextBytes: 64 * 1024,
  maxTtlSeconds: 2 ** 32 - 1,
});
