/**
 * Every cryptographic primitive the directory uses, in one place, and where
 * each comes from (SPEC.md §11: records and the key store that §11.4 keeps).
 * No other directory module imports `@noble/*` or `node:crypto`.
 *
 * - Ed25519 signing and verification of records (SPEC.md §11.1, §11.2) and
 *   the key thumbprints (kids, SPEC.md §10.1) go through core's
 *   `CryptoBackend` (`getDefaultBackend()` or the caller's `backend` option), as
 *   everywhere in Blindwire; this module adds nothing for them.
 * - SHA-256 for record ids (`recordId`, SPEC.md §11.5) and HTTP ETags comes
 *   from @noble/hashes: those are synchronous APIs, and core's backend hashes
 *   asynchronously.
 * - scrypt (RFC 7914) and XChaCha20-Poly1305 seal the private key store
 *   at rest (`keys/key-sealing.ts`): core's backend has no password KDF and
 *   no extended-nonce AEAD. XChaCha20-Poly1305 comes from @noble/ciphers;
 *   scrypt from the runtime's native `node:crypto` `scrypt` where present
 *   (OpenSSL: about 1.7 times faster here, byte-identical, tested against the pure
 *   one), else from @noble/hashes; random salts and nonces from @noble's
 *   CSPRNG (`crypto.getRandomValues`).
 * - Random temporary file names (`files/atomic-write.ts`) use that same CSPRNG.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync as pureScrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';

export { pureScrypt, randomBytes, sha256, xchacha20poly1305 };

/** scrypt's parameters (RFC 7914 §2) and the output length. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  dkLen: number;
  /** Memory ceiling in bytes; the caller checks 128·N·r against its own cap first. */
  maxmem: number;
}

type NativeScrypt = (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
  callback: (err: Error | null, key: Uint8Array) => void,
) => void;

let native: Promise<NativeScrypt | undefined> | undefined;

/** node:crypto's scrypt, where the runtime has it (Node, Deno, Bun); else undefined. */
function nativeScrypt(): Promise<NativeScrypt | undefined> {
  native ??= (async () => {
    try {
      const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
        .process;
      const m = (proc?.getBuiltinModule?.('node:crypto') ?? (await import('node:crypto'))) as {
        scrypt?: NativeScrypt;
      };
      return typeof m.scrypt === 'function' ? m.scrypt : undefined;
    } catch {
      return undefined; // a browser: the pure one
    }
  })();
  return native;
}

/** Which scrypt `scrypt` runs here: `'native'` (node:crypto) or `'pure'` (@noble/hashes). */
export async function scryptImplementation(): Promise<'native' | 'pure'> {
  return (await nativeScrypt()) ? 'native' : 'pure';
}

/**
 * scrypt (RFC 7914): native where the runtime has it, else pure JavaScript;
 * the two give the same bytes (tested). `pure: true` forces the pure one.
 */
export async function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  params: ScryptParams,
  options: { pure?: boolean } = {},
): Promise<Uint8Array> {
  const { N, r, p, dkLen, maxmem } = params;
  const impl = options.pure ? undefined : await nativeScrypt();
  if (!impl) return pureScrypt(password, salt, { N, r, p, dkLen, maxmem });
  return new Promise((resolve, reject) =>
    impl(password, salt, dkLen, { N, r, p, maxmem }, (err, key) => {
      if (err) return reject(err);
      const out = Uint8Array.from(key);
      key.fill(0);
      resolve(out);
    }),
  );
}

/** `n` random bytes as lowercase hex (2n characters). */
export function randomHex(n: number): string {
  let s = '';
  for (const x of randomBytes(n)) s += x.toString(16).padStart(2, '0');
  return s;
}
