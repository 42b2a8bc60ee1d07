/**
 * Encryption-key rotation (SPEC.md §11.4). A rotator generates the next key
 * ahead of use and publishes its signed record with a not-before one
 * propagation delay in the future, so every sender has seen it before it
 * becomes the newest usable key; it keeps old private keys for a retention
 * window that must exceed the longest time a message can wait in a queue,
 * then erases them. Recipients open with `recipientKeys()`, which lists the
 * current key and every retained one. A newest key found revoked is replaced
 * at once; a key whose record could not be published is taken back out of the
 * key store, so the next tick rotates again.
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
import type { PrivateKeyStore, StoredKey } from './keystore.js';
import {
  DEFAULT_KEY_SECONDS,
  createEncryptionKeyRecord,
  createRevocation,
  type RevocationReasonName,
} from './publish.js';

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
  /** How long a private key is kept after its key expired. Must exceed the longest queue retention. */
  retentionSeconds: number;
  aead?: AeadName;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  backend?: CryptoBackend;
  /**
   * Whether this identity's key `kid` is revoked, from its verified records:
   * `(kid) => directory.isRevoked(identity.name, kid)`. When the newest held
   * key is revoked (say by an anchor, after a compromise), tick() replaces it
   * at once instead of waiting until it nears expiry. Without it, tick() knows
   * only the revocations made through this rotator's `revoke()`. A rejection
   * fails that tick().
   */
  isRevoked?: (kid: string) => Promise<boolean>;
}

export interface TickResult {
  /** The key this tick generated and published; the caller wipes its `privateKey` when done. */
  rotated?: StoredKey;
  /** Kids of the private keys erased past retention. */
  erased: string[];
  /**
   * The kid of the newest held key, when it is revoked. Rotation then goes by
   * the newest key that is not: with none, or with one near expiry, `rotated`
   * is its replacement.
   */
  revoked?: string;
}

export interface KeyRotator {
  /** Generates, stores and publishes a new key now. On a failed publish the key is removed again. */
  rotate(): Promise<StoredKey>;
  /**
   * Erases keys past retention, and rotates when the newest held key nears
   * expiry or is revoked. Call it periodically (or use start()).
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

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
/** Longest interval Node runs as asked: longer ones fire every millisecond. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  const clock = options.now ?? Date.now;
  const b = options.backend ?? getBackend();
  let timer: ReturnType<typeof setInterval> | undefined;
  let serialFloor = 0;
  /** Kids this rotator revoked itself: known without asking `isRevoked`. */
  const revokedHere = new Set<string>();

  /** The clock in ms, checked: a NaN time would make tick() never rotate, silently. */
  function nowMs(): number {
    const t = clock();
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"now" expected a clock returning ms ≥ 0, got ${show(t)}`,
      );
    }
    return t;
  }

  /** Every held key, newest first: copies the caller wipes (the key store's contract). */
  async function sorted(): Promise<StoredKey[]> {
    return (await options.keyStore.list()).sort(
      (x, y) => y.notBefore - x.notBefore || y.createdAt - x.createdAt,
    );
  }

  async function isRevoked(kid: string): Promise<boolean> {
    if (revokedHere.has(kid)) return true;
    return options.isRevoked !== undefined && (await options.isRevoked(kid)) === true;
  }

  /**
   * A new key usable from `notBefore`: signed, stored, then published. Stored
   * first, since a published key without its private key loses messages; if
   * the publish fails the key is taken out again, as unpublished it would be
   * the newest held key and no later tick would publish it or rotate past it.
   */
  async function publishNew(t: number, notBefore: number): Promise<StoredKey> {
    const key = await generateEncryptionKey({ backend: b });
    const stored: StoredKey = {
      ...key,
      notBefore,
      notAfter: notBefore + lifetime,
      createdAt: Math.floor(t / 1000),
    };
    try {
      serialFloor = Math.max(serialFloor + 1, t);
      const record = await createEncryptionKeyRecord(options.identity, key, {
        notBefore,
        notAfter: stored.notAfter,
        serial: serialFloor,
        ...(options.aead ? { aead: options.aead } : {}),
        backend: b,
      });
      await options.keyStore.put(stored);
      try {
        await options.publish(record);
      } catch (e) {
        await unstore(key.kid, e);
        throw e;
      }
      return stored;
    } catch (e) {
      wipe(key.privateKey);
      throw e;
    }
  }

  async function unstore(kid: string, publishError: unknown): Promise<void> {
    try {
      await options.keyStore.delete(kid);
    } catch (e) {
      throw new BlindwireError(
        ErrorCode.Transport,
        `rotation: publishing key ${kid} failed, and removing it from the key store failed too; ` +
          'delete it there, or no later tick() rotates past it',
        { cause: new AggregateError([publishError, e]) },
      );
    }
  }

  /** The newest held key that is not revoked (`held` is newest first). */
  async function newestUnrevoked(held: StoredKey[]): Promise<StoredKey | undefined> {
    for (const k of held) if (!(await isRevoked(k.kid))) return k;
    return undefined;
  }

  /**
   * SPEC.md §11.4: a new key waits out the propagation delay only while a held
   * key, not revoked, stays usable through it. Otherwise (the first key, or
   * every held key revoked or expiring first) senders have no key meanwhile,
   * and the new one is usable at once.
   */
  async function notBeforeOfNext(held: StoredKey[], nowS: number): Promise<number> {
    for (const k of held) {
      if (k.notBefore <= nowS && k.notAfter >= nowS + delay && !(await isRevoked(k.kid)))
        return nowS + delay;
    }
    return nowS;
  }

  return {
    async rotate() {
      const t = nowMs();
      const nowS = Math.floor(t / 1000);
      const held = await sorted();
      try {
        return await publishNew(t, await notBeforeOfNext(held, nowS));
      } finally {
        wipeAll(held);
      }
    },
    async tick() {
      const t = nowMs();
      const nowS = Math.floor(t / 1000);
      const keys = await sorted();
      try {
        const erased: string[] = [];
        for (const k of keys) {
          if (k.notAfter + retention < nowS) {
            await options.keyStore.delete(k.kid);
            revokedHere.delete(k.kid);
            erased.push(k.kid);
          }
        }
        const held = keys.filter((k) => !erased.includes(k.kid));
        // A revoked key is no successor: rotation is judged on the newest one
        // that is not revoked, so a revoked newest key is replaced at once.
        const live = await newestUnrevoked(held);
        const result: TickResult = { erased };
        if (held[0] && held[0] !== live) result.revoked = held[0].kid;
        if (!live || live.notAfter - nowS <= before)
          result.rotated = await publishNew(t, await notBeforeOfNext(held, nowS));
        return result;
      } finally {
        wipeAll(keys); // erased ones included
      }
    },
    async recipientKeys() {
      return (await sorted()).map((k) => ({
        kid: k.kid,
        publicKey: k.publicKey,
        privateKey: k.privateKey,
      }));
    },
    async revoke(kid, reason) {
      await options.publish(
        await createRevocation(
          { kid: options.identity.signing.kid, privateKey: options.identity.signing.privateKey },
          { name: options.identity.name, kid, reason },
          { now: nowMs(), backend: b },
        ),
      );
      revokedHere.add(kid);
      if (reason === 'compromise') await options.keyStore.delete(kid);
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
        this.tick().catch(onError);
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
