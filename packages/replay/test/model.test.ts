/**
 * The contract suite against the reference model itself (a store on the real
 * clock with the package's argument checks), so that the suite is known to
 * hold for the semantics it states, which the property tests compare every
 * store with.
 */
import { describe } from 'vitest';
import { runReplayContract } from './helpers/contract.js';
import { createModelStore } from './helpers/model.js';

describe('reference model', () => {
  runReplayContract((options) => ({ store: createModelStore(options) }));
});
