/**
 * Encryption-key rotation (SPEC.md §11.4). A rotator generates the next key
 * ahead of use and publishes its signed record with a not-before one
 * propagation delay in the future, so every sender has seen it before it
 * becomes the newest usable key; it keeps old private keys for a retention
 * window that must exceed the longest time a message can wait in a queue,
 * then erases them. Recipients open with `recipientKeys()`, which lists the
 * current key and every retained one.
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
}

export interface TickResult {
  rotated?: StoredKey;
  erased: string[];
}

export interface KeyRotator {
  /** Generates, stores and publishes a new key now. */
  rotate(): Promise<StoredKey>;
  /** Rotates if due and erases keys past retention. Call it periodically (or use start()). */
  tick(): Promise<TickResult>;
  /** Every private key still held, newest first: pass to `open` as `recipient`. */
  recipientKeys(): Promise<EncryptionKey[]>;
  /** Publishes a revocation; on compromise the private key is erased at once. */
  revoke(kid: string, reason: RevocationReasonName): Promise<void>;
  /** Runs tick() every `intervalMs` (default 60 000); errors go to `onError`. */
  start(intervalMs?: number, onError?: (e: unknown) => void): void;
  stop(): void;
}

function seconds(v: number | undefined, d: number, name: string): number {
  const x = v ?? d;
  if (!Number.isInteger(x) || x < 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected whole seconds ≥ 0`);
  return x;
}

export function createKeyRotator(options: KeyRotatorOptions): KeyRotator {
  const lifetime = seconds(options.lifetimeSeconds, DEFAULT_KEY_SECONDS, 'lifetimeSeconds');
  const delay = seconds(options.propagationDelaySeconds, 300, 'propagationDelaySeconds');
  const before = seconds(
    options.rotateBeforeSeconds,
    Math.floor(lifetime / 4),
    'rotateBeforeSeconds',
  );
  const retention = seconds(options.retentionSeconds, -1, 'retentionSeconds');
  if (retention <= 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"retentionSeconds" expected > 0 (longer than any queue retention)',
    );
  if (before <= delay) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"rotateBeforeSeconds" expected more than propagationDelaySeconds',
    );
  }
  if (lifetime <= before)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"lifetimeSeconds" expected more than rotateBeforeSeconds',
    );
  const now = options.now ?? Date.now;
  const b = options.backend ?? getBackend();
  let timer: ReturnType<typeof setInterval> | undefined;
  let serialFloor = 0;

  async function sorted(): Promise<StoredKey[]> {
    return (await options.keyStore.list()).sort(
      (x, y) => y.notBefore - x.notBefore || y.createdAt - x.createdAt,
    );
  }

  async function rotate(): Promise<StoredKey> {
    const t = now();
    const nowS = Math.floor(t / 1000);
    const existing = await sorted();
    // The first key is usable at once; later ones after the propagation delay.
    const notBefore = existing.length === 0 ? nowS : nowS + delay;
    const key = await generateEncryptionKey({ backend: b });
    const stored: StoredKey = {
      ...key,
      notBefore,
      notAfter: notBefore + lifetime,
      createdAt: nowS,
    };
    await options.keyStore.put(stored);
    serialFloor = Math.max(serialFloor + 1, t);
    await options.publish(
      await createEncryptionKeyRecord(options.identity, key, {
        notBefore,
        notAfter: stored.notAfter,
        serial: serialFloor,
        ...(options.aead ? { aead: options.aead } : {}),
        backend: b,
      }),
    );
    return stored;
  }

  return {
    rotate,
    async tick() {
      const nowS = Math.floor(now() / 1000);
      const erased: string[] = [];
      const keys = await sorted();
      for (const k of keys) {
        if (k.notAfter + retention < nowS) {
          await options.keyStore.delete(k.kid);
          erased.push(k.kid);
        }
      }
      const newest = keys.find((k) => !erased.includes(k.kid));
      const result: TickResult = { erased };
      if (!newest || newest.notAfter - nowS <= before) result.rotated = await rotate();
      return result;
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
          { now: now(), backend: b },
        ),
      );
      if (reason === 'compromise') await options.keyStore.delete(kid);
    },
    start(intervalMs = 60_000, onError = () => {}) {
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
