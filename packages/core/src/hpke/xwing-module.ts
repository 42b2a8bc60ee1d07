/**
 * What registering X-Wing brings in (SPEC.md §5.4): the X-Wing KEM (ML-KEM-768
 * + X25519) and the one-stage SHAKE256 key schedule used only with it. Only
 * `@blindwire/core/xwing` and the Node entry points import this module, so a
 * classical bundle never holds ML-KEM or SHA-3.
 */
import * as kem from './kem-xwing.js';
import { oneStageSchedule } from './key-schedule-one-stage.js';

/** The X-Wing KEM and its one-stage key schedule, as registered into kem.ts. */
export interface XWingModule {
  readonly kem: typeof kem;
  readonly oneStageSchedule: typeof oneStageSchedule;
}

/** The one X-Wing implementation object. */
export const XWING_MODULE: XWingModule = Object.freeze({ kem, oneStageSchedule });
