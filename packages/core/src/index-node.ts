/**
 * `@blindwire/core` under the `node` export condition: the public surface of
 * index.ts, with the X-Wing KEM (SPEC.md §5.4) registered to load on first use,
 * so Node code (directory, CLI, bindings) seals to hybrid keys unchanged.
 * Browsers and bundles get index.ts and opt in with `@blindwire/core/xwing`.
 *
 * @module @blindwire/core
 */
import { registerXWingOnFirstUse } from './hpke/xwing-node.js';

registerXWingOnFirstUse();

export * from './index.js';
