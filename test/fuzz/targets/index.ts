import type { FuzzTarget } from '../harness.js';
import { cborTarget } from './cbor.js';
import { configTarget } from './config.js';
import { coseTarget, jwsTarget } from './envelope.js';
import { referenceTarget } from './reference.js';
import { regoTarget } from './rego.js';
import { registryJsonTarget } from './registryJson.js';
import { requestTarget } from './request.js';
import { trustPolicyTarget } from './trustpolicy.js';
import { x509Target } from './x509.js';

/** Every fuzz target, in the order `npm run fuzz` runs them. */
export const TARGETS: readonly FuzzTarget[] = [
  referenceTarget,
  jwsTarget,
  coseTarget,
  cborTarget,
  x509Target,
  trustPolicyTarget,
  configTarget,
  requestTarget,
  regoTarget,
  registryJsonTarget,
];
