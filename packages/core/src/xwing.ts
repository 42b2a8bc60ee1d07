/**
 * `@blindwire/core/xwing`: enables the post-quantum hybrid X-Wing KEM
 * (ML-KEM-768 + X25519, KEM id 0x647a, SPEC.md §5.4) in browsers and other
 * non-Node bundles. Importing this entry registers X-Wing into the KEM table of
 * `@blindwire/core` (idempotent); Node's entry points do it by default. Without
 * it, sealing to an X-Wing key, opening with one, generating one or requiring
 * post-quantum recipients fails with ERR_UNSUPPORTED_SUITE (never a downgrade
 * to X25519), and a bundle of `seal`/`open` holds no ML-KEM or SHA-3.
 *
 * ```ts
 * import '@blindwire/core/xwing'; // or: import { enableXWing } ...; enableXWing();
 * import { seal, generateIdentity } from '@blindwire/core';
 * ```
 *
 * @module @blindwire/core/xwing
 */
import { registerXWing } from './hpke/kem.js';
import { XWING_MODULE } from './hpke/xwing-module.js';

const load = () => Promise.resolve(XWING_MODULE);

/**
 * Registers X-Wing (idempotent). Importing this module already calls it;
 * calling it explicitly keeps the registration in a bundle whose tool drops
 * side-effect-only imports. To ask whether X-Wing is enabled without pulling
 * it in, use `isXWingEnabled` from `@blindwire/core`.
 */
export function enableXWing(): void {
  registerXWing(load);
}

enableXWing();
