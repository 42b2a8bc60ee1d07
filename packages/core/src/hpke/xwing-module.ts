/**
 * What registering X-Wing brings in (SPEC.md §5.4): the X-Wing KEM (ML-KEM-768
 * + X25519) and the one-stage SHAKE256 key schedule used only with it. Only
 * `@blindwire/core/xwing` and the Node entry points import this module, so a
 * classical bundle never holds ML-KEM or SHA-3.
 */
import {
  decap,
  deriveKeyPair,
  encap,
  forgetSeed,
  generateKeyPair,
  publicKeyFromSeed,
} from './kem-xwing.js';
import { oneStageSchedule } from './key-schedule-one-stage.js';

/** The X-Wing KEM functions core calls (kem.ts, identity.ts). */
export interface XWingKem {
  readonly generateKeyPair: typeof generateKeyPair;
  readonly deriveKeyPair: typeof deriveKeyPair;
  readonly encap: typeof encap;
  readonly decap: typeof decap;
  readonly publicKeyFromSeed: typeof publicKeyFromSeed;
  readonly forgetSeed: typeof forgetSeed;
}

/** The X-Wing KEM and its one-stage key schedule, as registered into kem.ts. */
export interface XWingModule {
  readonly kem: XWingKem;
  readonly oneStageSchedule: typeof oneStageSchedule;
}

/** The one X-Wing implementation object. */
export const XWING_MODULE: XWingModule = Object.freeze({
  kem: Object.freeze({
    generateKeyPair,
    deriveKeyPair,
    encap,
    decap,
    publicKeyFromSeed,
    forgetSeed,
  }),
  oneStageSchedule,
});
