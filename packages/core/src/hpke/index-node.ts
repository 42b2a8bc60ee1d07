/**
 * `@blindwire/core/hpke` under the `node` export condition: the surface of
 * hpke/index.ts, with the X-Wing KEM (0x647a) registered to load on first use.
 *
 * @module @blindwire/core/hpke
 */
import { registerXWingOnFirstUse } from './xwing-node.js';

registerXWingOnFirstUse();

export * from './index.js';
