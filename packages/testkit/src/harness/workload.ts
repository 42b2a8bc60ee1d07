/**
 * The conformance workload (the consumer rules of SPEC.md §7b): N distinct
 * plaintexts, each opening with a unique 16-byte marker (`P:` + 14 characters), sealed to the
 * consumer, of which a share is defective in exactly one way, each with the
 * outcome the disposition table expects for it:
 *
 * | kind              | how it is made                                          | expected                          |
 * |-------------------|---------------------------------------------------------|-----------------------------------|
 * | valid             | sealed for the destination (some through the binding)   | committed once                    |
 * | tampered          | one bit flipped after the header (in the ciphertext)    | dead-letter ERR_OPEN_FAILED       |
 * | expired           | sealed with a `now` two hours back and a 60 s ttl       | dead-letter ERR_EXPIRED           |
 * | disallowed        | from a trusted sender outside the policy's allowedSenders | dead-letter ERR_SENDER_NOT_ALLOWED |
 * | cross-destination | sealed for another destination, published to this one  | dead-letter ERR_CONTEXT_MISMATCH  |
 * | cross-transport   | sealed with another binding's context of this destination | dead-letter ERR_CONTEXT_MISMATCH |
 *
 * and some valid ones are replayed: the same bytes published again once the
 * original was processed (a duplicate: acknowledged, handler not called).
 */
import { createRng, type Rng } from './random.js';
import type { CoreFunctions, HarnessAdapter, SenderLike } from './types.js';

export type ItemKind =
  'valid' | 'tampered' | 'expired' | 'disallowed' | 'cross-destination' | 'cross-transport';

export type Expectation = { outcome: 'commit' } | { outcome: 'dead-letter'; reason: string };

export interface WorkItem {
  index: number;
  kind: ItemKind;
  /** The plaintext (never published). */
  payload: Uint8Array;
  /** The envelope as published; for an item sealed by the binding, unknown (undefined). */
  bytes?: Uint8Array;
  /** Known once sealed, or once the binding published it. */
  messageId?: string;
  /** The sealing sender's name (the replay store keys entries per sender). */
  sender: string;
  /** `raw`: sealed here and published unchanged; `binding`: sealed by the binding's publish. */
  via: 'raw' | 'binding';
  /** Where it is published. */
  destination: string;
  expect: Expectation;
  /** Copies of the same bytes to publish once the original is committed. */
  replays: number;
}

/** Shares of the count (each rounded; at least one of each kind when the share is > 0). */
export interface WorkloadRates {
  tampered: number;
  expired: number;
  disallowed: number;
  crossDestination: number;
  crossTransport: number;
  /** Share of the valid raw items replayed once. */
  replay: number;
  /** Share of the valid items published through the binding's sealed publish. */
  viaBinding: number;
}

export const DEFAULT_RATES: WorkloadRates = {
  tampered: 0.01,
  expired: 0.005,
  disallowed: 0.005,
  crossDestination: 0.0025,
  crossTransport: 0.0025,
  replay: 0.01,
  viaBinding: 0.05,
};

export interface WorkloadSpec {
  /** Distinct message ids. */
  count: number;
  /** Seeds every choice (print it with the results). */
  seed: number;
  rates?: Partial<WorkloadRates>;
  /** Plaintext length range, marker included (default 48..160). */
  payloadBytes?: { min: number; max: number };
}

export interface WorkloadParties {
  core: CoreFunctions;
  /** The allowed sender. */
  sender: SenderLike;
  /** Trusted by the consumer, but outside its policy's allowedSenders. */
  disallowedSender: SenderLike;
  /** The consumer's key (what `seal` takes as `recipients`). */
  recipients: unknown;
  adapter: Pick<HarnessAdapter, 'destination' | 'otherDestination' | 'context'>;
  /** The destination's context under other bindings (e.g. core's `bindingContext('amqp', ...)`). */
  foreignContexts: (string | Uint8Array)[];
}

export interface Workload {
  seed: number;
  items: WorkItem[];
  /** The sender names, which no broker may see either. */
  senderNames: string[];
}

export const MARKER_BYTES = 16;
const EXPECTED: Record<Exclude<ItemKind, 'valid'>, string> = {
  tampered: 'ERR_OPEN_FAILED',
  expired: 'ERR_EXPIRED',
  disallowed: 'ERR_SENDER_NOT_ALLOWED',
  'cross-destination': 'ERR_CONTEXT_MISMATCH',
  'cross-transport': 'ERR_CONTEXT_MISMATCH',
};

/** The kinds in a seeded random order, with exact counts per kind. */
function kindsOf(count: number, rates: WorkloadRates, rng: Rng): ItemKind[] {
  const n = (share: number) => (share > 0 ? Math.max(1, Math.round(count * share)) : 0);
  const kinds: ItemKind[] = [
    ...Array<ItemKind>(n(rates.tampered)).fill('tampered'),
    ...Array<ItemKind>(n(rates.expired)).fill('expired'),
    ...Array<ItemKind>(n(rates.disallowed)).fill('disallowed'),
    ...Array<ItemKind>(n(rates.crossDestination)).fill('cross-destination'),
    ...Array<ItemKind>(n(rates.crossTransport)).fill('cross-transport'),
  ];
  if (kinds.length >= count) throw new Error(`workload: ${count} messages leave none valid`);
  kinds.push(...Array<ItemKind>(count - kinds.length).fill('valid'));
  return rng.shuffle(kinds);
}

/** The prefix of every plaintext (not the envelope's `BW` magic: a handler can tell them apart). */
export const PLAINTEXT_PREFIX = 'P:';
const PRINTABLE = 94; // 0x21..0x7e

/**
 * A distinct plaintext: `P:`, the index mixed (times an odd constant mod
 * 2^32: one to one) in 5 base-94 printable characters, 9 random printable
 * characters, then random printable filler. Every 8-byte window holds random
 * printable characters: no run of digits, hex or words that broker headers
 * and JSON hold too (message ids, `"ack_wait":4000000000`), which would be
 * false findings of the blindness spy.
 */
export function plaintextFor(index: number, length: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(Math.max(length, MARKER_BYTES));
  out.set(new TextEncoder().encode(PLAINTEXT_PREFIX));
  let mixed = Math.imul(index + 1, 0x9e3779b1) >>> 0;
  for (let i = 2; i < 7; i++, mixed = Math.floor(mixed / PRINTABLE))
    out[i] = 0x21 + (mixed % PRINTABLE);
  for (let i = 7; i < out.length; i++) out[i] = rng.int(0x21, 0x7e);
  return out;
}

/** Flips one bit of the ciphertext, after the header (the message id still parses). */
function tamper(envelope: Uint8Array, core: CoreFunctions, rng: Rng): Uint8Array {
  const { ciphertextBytes } = core.inspect(envelope);
  const copy = envelope.slice();
  const at = copy.length - ciphertextBytes + rng.int(0, ciphertextBytes - 1);
  copy[at]! ^= 1 << rng.int(0, 7);
  return copy;
}

/** Seals one item of `kind` (not through the binding). */
async function sealItem(item: WorkItem, p: WorkloadParties, rng: Rng): Promise<void> {
  const { adapter, core } = p;
  const contextOf: Record<ItemKind, () => string | Uint8Array> = {
    valid: () => adapter.context(adapter.destination),
    tampered: () => adapter.context(adapter.destination),
    expired: () => adapter.context(adapter.destination),
    disallowed: () => adapter.context(adapter.destination),
    'cross-destination': () => adapter.context(adapter.otherDestination),
    'cross-transport': () => p.foreignContexts[rng.int(0, p.foreignContexts.length - 1)]!,
  };
  const sealed = await core.seal(item.payload, {
    sender: item.kind === 'disallowed' ? p.disallowedSender : p.sender,
    recipients: p.recipients,
    context: contextOf[item.kind](),
    ...(item.kind === 'expired' ? { now: Date.now() - 2 * 3600_000, ttl: 60 } : {}),
  });
  item.messageId = sealed.messageId;
  item.bytes = item.kind === 'tampered' ? tamper(sealed.envelope, core, rng) : sealed.envelope;
}

/** Generates and seals the workload (items sealed by the binding are sealed when published). */
export async function generateWorkload(spec: WorkloadSpec, p: WorkloadParties): Promise<Workload> {
  if (!Number.isSafeInteger(spec.count) || spec.count < 1)
    throw new Error('workload: count must be a positive integer');
  if (p.foreignContexts.length === 0) throw new Error('workload: foreignContexts is empty');
  const rates = { ...DEFAULT_RATES, ...spec.rates };
  const { min, max } = spec.payloadBytes ?? { min: 48, max: 160 };
  const rng = createRng(spec.seed);
  const items: WorkItem[] = kindsOf(spec.count, rates, rng).map((kind, index) => ({
    index,
    kind,
    payload: plaintextFor(index, rng.int(min, max), rng),
    sender: kind === 'disallowed' ? p.disallowedSender.name : p.sender.name,
    via: kind === 'valid' && rng.next() < rates.viaBinding ? 'binding' : 'raw',
    destination: p.adapter.destination,
    expect:
      kind === 'valid' ? { outcome: 'commit' } : { outcome: 'dead-letter', reason: EXPECTED[kind] },
    replays: 0,
  }));
  // Replays come from the first half, so the originals are processed well before the copies go out.
  const candidates = items.filter(
    (it) => it.kind === 'valid' && it.via === 'raw' && it.index < spec.count / 2,
  );
  const replayed = Math.min(candidates.length, Math.round(spec.count * rates.replay));
  for (const it of rng.shuffle(candidates).slice(0, replayed)) it.replays = 1;
  for (const item of items) if (item.via === 'raw') await sealItem(item, p, rng);
  return { seed: spec.seed, items, senderNames: [p.sender.name, p.disallowedSender.name] };
}

/** The count of items per kind, and of replay copies. */
export function workloadCounts(w: Workload): Record<ItemKind | 'replays' | 'viaBinding', number> {
  const counts = {
    valid: 0,
    tampered: 0,
    expired: 0,
    disallowed: 0,
    'cross-destination': 0,
    'cross-transport': 0,
    replays: 0,
    viaBinding: 0,
  };
  for (const it of w.items) {
    counts[it.kind]++;
    counts.replays += it.replays;
    if (it.via === 'binding') counts.viaBinding++;
  }
  return counts;
}
