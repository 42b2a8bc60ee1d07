/**
 * Private keys never print: an object that holds one (an identity, a signing
 * or encryption key, an HPKE key pair, a trust anchor) gets a `toJSON` that
 * returns its public form and a Node inspection hook that shows the private
 * key as redacted, so `console.log`, `util.inspect` and `JSON.stringify` show
 * no secret. Both are non-enumerable: spreading or cloning the object copies
 * the data and not them. The only way out for a private key is the explicit
 * export (`exportIdentity`, `exportTrustAnchor`). No Node import: core runs
 * in browsers too, and the hook is a registered symbol.
 */
import { toBase64url } from '../bytes.js';

/** The symbol Node's `util.inspect` (hence `console.log`) looks up. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** What an inspection shows in place of a private key. */
const REDACTED = Object.freeze({
  [INSPECT]: () => '[private key, not shown]',
  toJSON: () => '[private key, not shown]',
});

type Inspect = (value: unknown, options?: unknown) => string;

/**
 * Gives `holder` a `toJSON` returning `publicForm()` and an inspection that
 * shows `view()` (what it holds, with `privateKey` redacted). Returns `holder`.
 */
export function hidePrivateKey<T extends object>(
  holder: T,
  label: string,
  publicForm: (holder: T) => unknown,
): T {
  Object.defineProperties(holder, {
    toJSON: {
      value: function toJSON(this: T) {
        return publicForm(this);
      },
      enumerable: false,
      configurable: true,
      writable: true,
    },
    [INSPECT]: {
      value: function inspect(this: T, _depth: number, options: unknown, inspect?: Inspect) {
        const shown: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(this)) shown[k] = k === 'privateKey' ? REDACTED : v;
        const body =
          typeof inspect === 'function' ? inspect(shown, options) : JSON.stringify(shown);
        return `${label} ${body}`;
      },
      enumerable: false,
      configurable: true,
      writable: true,
    },
  });
  return holder;
}

/** An HPKE key pair (RFC 9180 §4) that prints and serialises as its public key alone. */
export function hideKeyPair<T extends { publicKey: Uint8Array; privateKey: Uint8Array }>(kp: T): T {
  return hidePrivateKey(kp, 'KeyPair', (k) => ({ publicKey: toBase64url(k.publicKey) }));
}
