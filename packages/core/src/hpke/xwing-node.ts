/**
 * X-Wing on Node by default (SPEC.md §5.4): the Node entry points (the `node`
 * export condition of `@blindwire/core` and `@blindwire/core/hpke`) register
 * it with a loader, so ML-KEM and SHA-3 are still loaded on first use only.
 */
import { registerXWing } from './kem.js';

/** Registers X-Wing, loaded by a dynamic import on its first use (idempotent). */
export function registerXWingOnFirstUse(): void {
  registerXWing(() => import('./xwing-module.js').then((m) => m.XWING_MODULE));
}
