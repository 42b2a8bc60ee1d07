/**
 * Encryption-key rotation (SPEC.md §11.4). A rotator generates the next key
 * ahead of use and publishes its signed record with a not-before one
 * propagation delay in the future, so every sender has seen it before it
 * becomes the newest usable key; it keeps old private keys for a retention
 * window that must exceed the longest time a message can wait in a queue,
 * then erases them. Recipients open with `recipientKeys()`, which lists the
 * current key and every retained one. A newest key found revoked is replaced
 * at once, and a key found revoked for compromise is erased at once. A key is
 * never deleted because a publish failed (the write may have landed: senders
 * would then seal to a key nobody holds): its signed record is kept with it in
 * the key store, and every tick publishes the records of the held keys again.
 */
import {
  BlindwireError,
  ErrorCode,
  generateEncryptionKey,
  getBackend,
  type AeadName,
  type CryptoBackend,
  type EncryptionKey,
  type SigningKey,
} from '@blindwire/core';
import { wipe } from '@blindwire/core/internal';
import { MAX_TIMER_MS, readClock, show } from '../checks.js';
import type { PrivateKeyStore, StoredKey } from './key-store.js';
import { RecordKind } from '../records/kinds.js';
import { parseRecord } from '../records/parse.js';
import {
  DEFAULT_KEY_SECONDS,
  createEncryptionKeyRecord,
  createRevocation,
  type RevocationReasonName,
} from '../records/publish.js';

export interface KeyRotatorOptions {
  identity: { name: string; signing: Pick<SigningKey, 'kid' | 'privateKey'> };
  /** Where records go: a Directory or a DirectoryStore-backed publisher. */
  publish: (record: Uint8Array) => Promise<void>;
  keyStore: PrivateKeyStore;
  /** Lifetime of each key in seconds (default 86 400). */
  lifetimeSeconds?: number;
  /** How long before a new key is used, so every cached sender has it (default 300). */
  propagationDelaySeconds?: number;
  /** Rotate when the newest key expires within this many seconds (default lifetime / 4). */
  rotateBeforeSeconds?: number;
  /**
   * How long a private key is kept after its key expired. Must exceed the
   * longest queue retention plus the senders' clock skew (a sender may seal to
   * a key until its not-after plus its skew, SPEC.md §11.2).
   */
  retentionSeconds: number;
  aead?: AeadName;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  backend?: CryptoBackend;
  /**
   * Whether this identity's key `kid` is revoked, from its verified records:
   * `(kid) => directory.revocationOf(identity.name, kid)` answers with the
   * reason (`directory.isRevoked` only with a boolean, which counts as
   * superseded). When the newest held key is revoked (say by an anchor),
   * tick() replaces it at once instead of waiting until it nears expiry; a
   * held key revoked for `'compromise'` is also erased at once (SPEC.md
   * §11.4). Without it, tick() knows only the revocations made through this
   * rotator's `revoke()`. A rejection fails that tick().
   */
  isRevoked?: (kid: string) => Promise<RevocationStatus>;
  /**
   * Longest time one tick(), rotate() or revoke() may take before it fails
   * with ERR_TRANSPORT, in ms (default 120000). Calls run one at a time; a
   * store call that never settles would otherwise hold up every later call.
   */
  stepTimeoutMs?: number;
}

/** What `isRevoked` answers: not revoked (`false`/`undefined`), revoked (`true`), or revoked with its reason. */
export type RevocationStatus = boolean | RevocationReasonName | undefined;

export interface TickResult {
  /** The key this tick generated and published; the caller wipes its `privateKey` when done. */
  rotated?: StoredKey;
  /** Kids of the private keys erased: past retention, or revoked for compromise. */
  erased: string[];
  /**
   * The kid of the newest held key, when it is revoked. Rotation then goes by
   * the newest key that is not: with none, or with one near expiry, `rotated`
   * is its replacement.
   */
  revoked?: string;
}

export interface KeyRotator {
  /**
   * Generates, stores (with its signed record) and publishes a new key now. A
   * failed publish rejects, and the key stays: the next tick() publishes it again.
   */
  rotate(): Promise<StoredKey>;
  /**
   * Erases keys past retention or revoked for compromise, publishes again the
   * record of every held key neither expired nor revoked, and rotates when
   * the newest held key nears expiry or is revoked. Call it periodically (or
   * use start()). A publish that fails rejects the tick; nothing is deleted
   * for it.
   */
  tick(): Promise<TickResult>;
  /** Every private key still held, newest first: pass to `open` as `recipient`. The caller may wipe them. */
  recipientKeys(): Promise<EncryptionKey[]>;
  /** Publishes a revocation; on compromise the private key is erased at once. */
  revoke(kid: string, reason: RevocationReasonName): Promise<void>;
  /** Runs tick() every `intervalMs` (default 60 000); errors go to `onError`. */
  start(intervalMs?: number, onError?: (e: unknown) => void): void;
  stop(): void;
}

/** Whole seconds ≥ 0 (a string, NaN or 1e20 is refused, never defaulted). */
function seconds(v: unknown, d: number | undefined, name: string): number {
  const x = v ?? d;
  if (!Number.isSafeInteger(x) || (x as number) < 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${name}" expected whole seconds ≥ 0, got ${show(x)}`,
    );
  return x as number;
}

const wipeAll = (keys: StoredKey[]) => keys.forEach((k) => wipe(k.privateKey));

/** One queued step; set when its caller gave up waiting for it. */
interface StepToken {
  abandoned: boolean;
}

export function createKeyRotator(options: KeyRotatorOptions): KeyRotator {
  const lifetime = seconds(options.lifetimeSeconds, DEFAULT_KEY_SECONDS, 'lifetimeSeconds');
  const delay = seconds(options.propagationDelaySeconds, 300, 'propagationDelaySeconds');
  const before = seconds(
    options.rotateBeforeSeconds,
    Math.floor(lifetime / 4),
    'rotateBeforeSeconds',
  );
  const retention = seconds(options.retentionSeconds, undefined, 'retentionSeconds');
  const invalid = (message: string): never => {
    throw new BlindwireError(ErrorCode.InvalidArgument, message);
  };
  if (retention <= 0) invalid('"retentionSeconds" expected > 0 (longer than any queue retention)');
  if (before <= delay) invalid('"rotateBeforeSeconds" expected more than propagationDelaySeconds');
  if (lifetime <= before) invalid('"lifetimeSeconds" expected more than rotateBeforeSeconds');
  for (const f of ['now', 'isRevoked'] as const) {
    if (options[f] !== undefined && typeof options[f] !== 'function')
      invalid(`"${f}" expected a function`);
  }
  const stepTimeout = options.stepTimeoutMs ?? 120_000;
  if (!Number.isSafeInteger(stepTimeout) || stepTimeout < 1 || stepTimeout > MAX_TIMER_MS)
    invalid(
      `"stepTimeoutMs" expected whole ms from 1 to ${MAX_TIMER_MS}, got ${show(stepTimeout)}`,
    );
  const clock = options.now ?? Date.now;
  const b = options.backend ?? getBackend();
  let timer: ReturnType<typeof setInterval> | undefined;
  let serialFloor = 0;
  /** Kids this rotator revoked itself, with the reason: known without asking `isRevoked`. */
  const revokedHere = new Map<string, RevocationReasonName>();

  /** The clock in ms, checked: a NaN time would make tick() never rotate, silently. */
  const nowMs = () => readClock(clock);

  /** Every held key, newest first: copies the caller wipes (the key store's contract). */
  async function sorted(): Promise<StoredKey[]> {
    return (await options.keyStore.list()).sort(
      (x, y) => y.notBefore - x.notBefore || y.createdAt - x.createdAt,
    );
  }

  /**
   * The held keys tick() and rotate() decide on, newest first, and the highest
   * serial among their records (a new record's serial goes above it: serials
   * must not go backwards across restarts, whatever the clock says). A key
   * whose stored record is not this identity's record of that key (a key
   * store shared with another identity, or edited) makes them fail loudly:
   * counted as ours, it would pass for a successor, erase on our retention
   * and keep us from rotating, and its record would be re-published. Keys
   * stored by older versions carry no record and are taken as ours.
   */
  async function ownKeys(): Promise<{
    held: StoredKey[];
    maxSerial: number;
    /** Kids of held keys whose record a former signing key of the identity issued. */
    formerIssuer: Set<string>;
  }> {
    const held = await sorted();
    let maxSerial = 0;
    const formerIssuer = new Set<string>();
    for (const k of held) {
      if (k.record === undefined) continue;
      const own = await ownRecord(k);
      if (own === undefined) {
        wipeAll(held);
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          `the key store holds key ${k.kid}, which is not ${options.identity.name}'s: use one key store per identity`,
        );
      }
      maxSerial = Math.max(maxSerial, own.serial);
      if (own.issuerKid !== options.identity.signing.kid) formerIssuer.add(k.kid);
    }
    return { held, maxSerial, formerIssuer };
  }

  /** The serial and issuer of `k`'s stored record when it is this identity's record of `k`; else undefined. */
  async function ownRecord(
    k: StoredKey,
  ): Promise<{ serial: number; issuerKid: string } | undefined> {
    try {
      const { body } = await parseRecord(k.record!, { backend: b });
      if (body.kind !== RecordKind.EncryptionKey) return undefined;
      // Name and kid: a record issued under an earlier signing key of this
      // identity (before a signing-key rotation) is still its own.
      const own = body.name === options.identity.name && body.kid === k.kid;
      return own ? { serial: body.serial, issuerKid: body.issuerKid } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether `kid` is revoked, and why: what this rotator did, else what `isRevoked` says. */
  async function revocationOf(kid: string): Promise<RevocationReasonName | undefined> {
    const here = revokedHere.get(kid);
    if (here) return here;
    const r = options.isRevoked === undefined ? undefined : await options.isRevoked(kid);
    if (r === undefined || r === false) return undefined;
    if (r === 'compromise' || r === 'superseded') return r;
    if (r === true) return 'superseded'; // revoked, for no reason that calls for erasure
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"isRevoked" expected to resolve to a boolean, "compromise", "superseded" or undefined, got ${show(r)}`,
    );
  }

  /** Each held key's revocation, asked once per tick. */
  async function revocations(held: StoredKey[]): Promise<Map<string, RevocationReasonName>> {
    const out = new Map<string, RevocationReasonName>();
    for (const k of held) {
      const r = await revocationOf(k.kid);
      if (r) out.set(k.kid, r);
    }
    return out;
  }

  /**
   * A new key usable from `notBefore`: signed, stored with its record, then
   * published. Stored first, since a published key without its private key
   * loses messages. A failed publish rejects but keeps the key (SPEC.md
   * §11.4): the write may have landed after all, and senders would then seal
   * to a key nobody holds. The next tick publishes the stored record again.
   */
  async function publishNew(
    t: number,
    notBefore: number,
    maxSerial: number,
    step: StepToken,
  ): Promise<StoredKey> {
    const key = await generateEncryptionKey({ backend: b });
    try {
      serialFloor = Math.max(serialFloor + 1, Math.floor(t), maxSerial + 1);
      const notAfter = notBefore + lifetime;
      const record = await createEncryptionKeyRecord(options.identity, key, {
        notBefore,
        notAfter,
        serial: serialFloor,
        ...(options.aead ? { aead: options.aead } : {}),
        backend: b,
      });
      const stored: StoredKey = { ...key, notBefore, notAfter, createdAt: Math.floor(t / 1000) };
      stored.record = record;
      // A step its caller gave up on (stepTimeoutMs) stores and publishes
      // nothing: the next step may already be making its own key.
      const abandoned = () =>
        new BlindwireError(ErrorCode.Transport, 'rotation: step abandoned after its timeout');
      if (step.abandoned) throw abandoned();
      await options.keyStore.put(stored);
      // Given up while storing: publish nothing. The key stays stored (a
      // later step may already have seen and republished it), and retention
      // erases it in time, as after a failed publish.
      if (step.abandoned) throw abandoned();
      await options.publish(record);
      return stored;
    } catch (e) {
      wipe(key.privateKey); // the key store keeps its own copy
      throw e;
    }
  }

  /**
   * SPEC.md §11.4: the record of every held key that is neither expired nor
   * revoked is published again, newest first. A record id is the hash of the
   * record, so this is idempotent; it heals a publish that failed (or seemed
   * to), in this process or in one that has since exited, and a store that
   * lost data. Keys stored by older versions have no record and are skipped;
   * `held` comes from ownKeys(), so every record is this identity's own.
   */
  async function republish(held: StoredKey[], revoked: Map<string, unknown>, nowS: number) {
    for (const k of held) {
      if (k.record === undefined || k.notAfter < nowS || revoked.has(k.kid)) continue;
      await options.publish(k.record);
    }
  }

  /**
   * SPEC.md §11.4: a new key waits out the propagation delay only while a held
   * key, not revoked, stays usable through it. Otherwise (the first key, or
   * every held key revoked or expiring first) senders have no key meanwhile,
   * and the new one is usable at once.
   */
  function notBeforeOfNext(held: StoredKey[], revoked: Map<string, unknown>, nowS: number) {
    const bridge = held.some(
      (k) => k.notBefore <= nowS && k.notAfter >= nowS + delay && !revoked.has(k.kid),
    );
    return bridge ? nowS + delay : nowS;
  }

  /** Erases a private key: from the key store, and this copy. */
  async function erase(k: StoredKey): Promise<void> {
    await options.keyStore.delete(k.kid);
    wipe(k.privateKey);
    revokedHere.delete(k.kid);
  }

  /**
   * rotate(), tick() and revoke() run one at a time, in call order: two
   * overlapping ticks (a slow one under start() and a manual one, say) would
   * otherwise both see rotation due and publish two keys.
   */
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;
  function serial<T>(step: (token: StepToken) => Promise<T>, what: string): Promise<T> {
    const token: StepToken = { abandoned: false };
    const bounded = () =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => (
            (token.abandoned = true),
            reject(
              new BlindwireError(
                ErrorCode.Transport,
                `rotation: ${what} took longer than ${stepTimeout} ms (a store call that never settles?)`,
              ),
            )
          ),
          stepTimeout,
        );
        timer.unref?.();
        step(token).then(
          (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        );
      });
    pending++;
    const run = queue.then(bounded, bounded).finally(() => pending--);
    queue = run.catch(() => undefined);
    return run;
  }

  const rotator: KeyRotator = {
    rotate: () => serial(rotateNow, 'rotate()'),
    tick: () => serial(tickNow, 'tick()'),
    async recipientKeys() {
      return (await sorted()).map((k) => ({
        kid: k.kid,
        publicKey: k.publicKey,
        privateKey: k.privateKey,
      }));
    },
    async revoke(kid, reason) {
      // A compromise is acted on locally at once, ahead of anything queued:
      // a stalled step must not keep the private key alive.
      if (reason === 'compromise') {
        revokedHere.set(kid, reason);
        await options.keyStore.delete(kid);
      }
      return serial(() => revokeNow(kid, reason), 'revoke()');
    },
    start(intervalMs = 60_000, onError = () => {}) {
      if (!Number.isSafeInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          `"intervalMs" expected whole ms from 1 to ${MAX_TIMER_MS}, got ${show(intervalMs)}`,
        );
      }
      if (timer) return;
      timer = setInterval(() => {
        if (pending > 0) return; // the last tick is still running or queued
        rotator.tick().catch(onError);
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return rotator;

  async function rotateNow(token: StepToken): Promise<StoredKey> {
    const t = nowMs();
    const nowS = Math.floor(t / 1000);
    const { held, maxSerial, formerIssuer } = await ownKeys();
    try {
      const current = held.filter((k) => !formerIssuer.has(k.kid));
      return await publishNew(
        t,
        notBeforeOfNext(current, await revocations(current), nowS),
        maxSerial,
        token,
      );
    } finally {
      wipeAll(held);
    }
  }

  async function tickNow(token: StepToken): Promise<TickResult> {
    const t = nowMs();
    const nowS = Math.floor(t / 1000);
    const { held: keys, maxSerial, formerIssuer } = await ownKeys();
    try {
      const erased: string[] = [];
      for (const k of keys) {
        if (k.notAfter + retention < nowS) {
          await erase(k);
          erased.push(k.kid);
        }
      }
      const held = keys.filter((k) => !erased.includes(k.kid));
      const revoked = await revocations(held);
      // SPEC.md §11.4: a compromised key's private key is erased at once.
      for (const k of held) {
        if (revoked.get(k.kid) === 'compromise') {
          await erase(k);
          erased.push(k.kid);
        }
      }
      await republish(held, revoked, nowS);
      // A revoked key is no successor: rotation is judged on the newest one
      // that is not revoked, so a revoked newest key is replaced at once. Nor is
      // a key whose not-before lies beyond the propagation delay (made under a
      // clock that ran ahead): senders could not use it in time.
      // Nor is a key issued under a former signing key of the identity: that
      // key may be revoked (for compromise, say), and senders then refuse
      // everything it issued. Such keys stay held for queued messages.
      const unrevoked = held.find((k) => !revoked.has(k.kid));
      const current = held.filter((k) => !formerIssuer.has(k.kid));
      const live = current.find((k) => !revoked.has(k.kid) && k.notBefore <= nowS + delay);
      const result: TickResult = { erased };
      if (held[0] && held[0] !== unrevoked) result.revoked = held[0].kid;
      if (!live || live.notAfter - nowS <= before)
        result.rotated = await publishNew(
          t,
          notBeforeOfNext(current, revoked, nowS),
          maxSerial,
          token,
        );
      return result;
    } finally {
      wipeAll(keys); // erased ones included
    }
  }

  async function revokeNow(kid: string, reason: RevocationReasonName): Promise<void> {
    await options.publish(
      await createRevocation(
        { kid: options.identity.signing.kid, privateKey: options.identity.signing.privateKey },
        { name: options.identity.name, kid, reason },
        { now: nowMs(), backend: b },
      ),
    );
    // Remembered before the erasure, so that if deleting fails the next
    // tick() still knows the key is compromised and erases it.
    revokedHere.set(kid, reason);
    if (reason === 'compromise') await options.keyStore.delete(kid);
  }
}
