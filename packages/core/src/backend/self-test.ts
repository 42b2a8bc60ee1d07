/**
 * Known answers checked once, lazily, before a native backend trusts a
 * platform behaviour it relies on. The values were generated with the pure
 * backend (@noble) for this project; they are not third-party vectors.
 * - `x25519`: RFC 7748 X25519 with an unclamped scalar, public-key derivation
 *   and shared secret.
 * - `ed25519`: RFC 8032 public key and signature of a fixed seed.
 * - `ed25519Cofactored`: a signature whose equation holds only after
 *   multiplying by the cofactor (A = [a]B + T, T of order 8). Canonical, not
 *   small-order, S < L: only the cofactorless equation rejects it, so a
 *   platform verifier that accepts it is cofactored and is not used.
 */
import { fromHex } from '../bytes.js';

export const SELF_TEST = {
  x25519: {
    privateKey: fromHex('8072e057be079f67f1d4c30917b5734173e681c74bb64f69afbd4578cba90b4d'),
    publicKey: fromHex('a726372c04913995b85d7e921fafe5ee553ab34d9d18ee46e1a9eead2b545500'),
    peerPublicKey: fromHex('f5ea9af255d4d8c85a0e7e92ba6a2b9a41db448fc2f77a318779e61dc0ce5252'),
    sharedSecret: fromHex('9b1c7e47fa79289e4bfd67cf96fe6f60794a52260a7eca4467f1fabee072e246'),
  },
  ed25519: {
    seed: fromHex('c0c29e6e40d51466c47bebfbbd27ec698c51233df86659d90929179925309c3e'),
    publicKey: fromHex('88e400860f6973f4e1bb0f33a7364160005bffdc79d79bdbd6e4c13bb7d45771'),
    message: fromHex('626c696e64776972652073656c662d74657374'),
    signature: fromHex(
      '405a19b83cea897729f8bbb90dfef1277b31bbfbb2989d3067655c16206e3197' +
        'd51768a2e5d53a7c7f8ce96da467ff4c3eb99feddb24faee84d0e0d3b9fc6301',
    ),
  },
  ed25519Cofactored: {
    publicKey: fromHex('0ecee217a32a89de0d31273c4c225af2e487aeedac353841e38262d74c305cf1'),
    message: fromHex('626c696e647769726520636f666163746f726c6573732073656c662d74657374'),
    signature: fromHex(
      '53207de390490950159f1915aedf945c120ecea6f92216994ad0461a762b6f8e' +
        '40d4e016fc9ff79de69464e8b3669b71005789371006dbbbfddf5869f9a9cd0a',
    ),
  },
} as const;
