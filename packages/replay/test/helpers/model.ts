/**
 * The reference semantics of a replay store (SPEC.md §7 step 18), as a pure
 * model with an explicit clock: what every store must answer. An entry is a
 * lease (live until its end) or done (live through the second keepUntil);
 * anything not live counts as absent.
 */
import {
  assertEntry,
  assertLeaseMs,
  assertMessageId,
  assertSender,
  assertToken,
  droppableAtMs,
  legacyEntry,
  recordSkewOf,
} from '../../src/checks.js';
import type { ReplayEntry, ReplayStore, ReserveAnswer } from '../../src/types.js';

type State = { kind: 'lease'; token: string; endMs: number } | { kind: 'done'; dropMs: number };

const keyOf = (messageId: string, sender: string) => JSON.stringify([sender, messageId]);

export class ReplayModel {
  private readonly states = new Map<string, State>();

  private live(key: string, nowMs: number): State | undefined {
    const s = this.states.get(key);
    if (s === undefined) return undefined;
    const alive = s.kind === 'lease' ? nowMs < s.endMs : nowMs < s.dropMs;
    return alive ? s : undefined;
  }

  reserve(entry: ReplayEntry, leaseMs: number, token: string, nowMs: number): ReserveAnswer {
    const key = keyOf(entry.messageId, entry.sender);
    const s = this.live(key, nowMs);
    if (s?.kind === 'done') return 'done';
    if (s?.kind === 'lease') return 'in-flight';
    this.states.set(key, { kind: 'lease', token, endMs: nowMs + leaseMs });
    return 'reserved';
  }

  commit(entry: ReplayEntry, nowMs: number): void {
    const key = keyOf(entry.messageId, entry.sender);
    const dropMs = droppableAtMs(entry.keepUntil);
    const s = this.live(key, nowMs);
    if (s?.kind === 'done' && s.dropMs >= dropMs) return;
    this.states.set(key, { kind: 'done', dropMs });
  }

  release(entry: ReplayEntry, token: string): void {
    const key = keyOf(entry.messageId, entry.sender);
    const s = this.states.get(key);
    if (s?.kind === 'lease' && s.token === token) this.states.delete(key);
  }

  has(messageId: string, sender: string, nowMs: number): boolean {
    return this.live(keyOf(messageId, sender), nowMs)?.kind === 'done';
  }
}

/** The model as a store on the real clock, with the stores' argument checks: the suite's own reference. */
export function createModelStore(options: { recordSkew?: number } = {}): ReplayStore {
  const model = new ReplayModel();
  const recordSkew = recordSkewOf(options.recordSkew);
  return {
    async reserve(entry, leaseMs, token) {
      assertEntry(entry);
      assertLeaseMs(leaseMs);
      assertToken(token);
      return model.reserve(entry, leaseMs, token, Date.now());
    },
    async commit(entry, token) {
      assertEntry(entry);
      assertToken(token);
      model.commit(entry, Date.now());
    },
    async release(entry, token) {
      assertEntry(entry);
      assertToken(token);
      model.release(entry, token);
    },
    async has(messageId, sender) {
      assertMessageId('messageId', messageId);
      assertSender('sender', sender);
      return model.has(messageId, sender, Date.now());
    },
    async record(messageId, expiresAt, sender) {
      model.commit(legacyEntry(messageId, expiresAt, sender, recordSkew), Date.now());
    },
  };
}
