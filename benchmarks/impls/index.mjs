/**
 * Every implementation, in table order. Each entry is
 * `{ id, label, signed, notes, create(): Promise<{ seal(p), open(sealed) }> }`;
 * `open` returns the payload as a Uint8Array or throws. Adding a row (a new
 * Blindwire backend, a new peer) is adding one entry here.
 */
import { blindwireImpls } from './blindwire.mjs';
import { hpkeCoreImpl, hpkePanvaImpl } from './hpke.mjs';
import { joseJweImpl, joseJwsJweImpl } from './jose.mjs';
import { nobleFloorImpl } from './noble-floor.mjs';
import { nodeFloorImpl, nodeFloorKeygenImpl } from './node-floor.mjs';
import { sodiumImpl } from './sodium.mjs';

export const IMPLEMENTATIONS = [
  ...blindwireImpls,
  hpkeCoreImpl,
  hpkePanvaImpl,
  joseJwsJweImpl,
  joseJweImpl,
  sodiumImpl,
  nodeFloorImpl,
  nodeFloorKeygenImpl,
  nobleFloorImpl,
];

/** The Blindwire row the ratios are taken against: node when present, else pure. */
export const REFERENCE_PREFERENCE = ['blindwire-node', 'blindwire-pure'];
/** The row called "the floor" in ratios and the summary. */
export const FLOOR_ID = 'node-floor';
