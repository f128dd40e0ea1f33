/** Gatekeeper ProviderRequest bodies: arbitrary and mutated JSON bytes, ServerError only. */
import fc from 'fast-check';
import { DEFAULT_LIMITS, parseProviderRequest } from '../../../provider/src/server/request.js';
import { ServerError } from '../../../provider/src/server/errors.js';
import { checkable, mutatedBytes, mutatedJson, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof ServerError;
const valid = (): unknown => ({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: ['[ns]registry.example.com/app:v1', 'nginx'] } });
const bytesOf = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v) ?? 'null');

export const requestTarget: FuzzTarget = {
  name: 'request',
  what: 'server/request: parseProviderRequest on arbitrary bytes, mutated JSON and mutated bytes',
  ciRuns: 3000,
  property: () =>
    checkable(fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 256 }), mutatedJson(valid).map(bytesOf), mutatedBytes(() => bytesOf(valid())), fc.jsonValue({ maxDepth: 4 }).map(bytesOf)),
      (body) => {
        typedOnly(typed, () => parseProviderRequest(body, DEFAULT_LIMITS));
      },
    )),
};
