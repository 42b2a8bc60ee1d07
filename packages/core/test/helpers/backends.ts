/**
 * Every backend available in this runtime. Vector, differential and envelope
 * tests loop over this list so each backend is held to the same answers.
 * Under Node all three run: pure (@noble), node (node:crypto) and web
 * (WebCrypto, which Node 20 implements for X25519, Ed25519 and AES-GCM).
 */
import { nodeBackend } from '../../src/backend/node.js';
import { pureBackend } from '../../src/backend/pure.js';
import type { CryptoBackend } from '../../src/backend/types.js';
import { webBackend } from '../../src/backend/web.js';

export const backends: CryptoBackend[] = [pureBackend, nodeBackend, webBackend];
