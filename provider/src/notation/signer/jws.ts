/**
 * Builds a JWS envelope byte-compatible with notation-core-go's: protected header members in Go map (sorted) order,
 * crit [signingScheme, authenticSigningTime?, expiry?], times as RFC 3339 UTC seconds, the flattened serialization
 * with members in Go struct order, x5c and the timestamp token as padded standard base64.
 */
import { HEADER, JWS_HEADER } from '../envelope/index.js';
import { MEDIA_TYPE_PAYLOAD } from '../types.js';
import type { SigningInput } from './request.js';

/** RFC 3339 in UTC without fractional seconds, as Go marshals a second-truncated UTC time. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sortedObject(entries: [string, unknown][]): Record<string, unknown> {
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(entries);
}

export async function buildJws(input: SigningInput): Promise<Uint8Array> {
  const { algorithm } = input.signer;
  const authority = input.signingScheme === 'notary.x509.signingAuthority';
  const crit: string[] = [HEADER.signingScheme];
  if (authority) crit.push(HEADER.authenticSigningTime);
  if (input.expiry) crit.push(HEADER.expiry);
  const header: [string, unknown][] = [
    [JWS_HEADER.alg, algorithm.name],
    [JWS_HEADER.cty, MEDIA_TYPE_PAYLOAD],
    [JWS_HEADER.crit, crit],
    [HEADER.signingScheme, input.signingScheme],
    [authority ? HEADER.authenticSigningTime : HEADER.signingTime, rfc3339(input.signingTime)],
  ];
  if (input.expiry) header.push([HEADER.expiry, rfc3339(input.expiry)]);

  const protectedB64 = Buffer.from(JSON.stringify(sortedObject(header))).toString('base64url');
  const payloadB64 = Buffer.from(input.payload).toString('base64url');
  const { signature, certificateChain } = await input.signer.sign(Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'));
  const timestamp = input.timestamper ? await input.timestamper(signature) : undefined;

  const unprotected: Record<string, unknown> = {};
  if (timestamp) unprotected[HEADER.timestampSignature] = Buffer.from(timestamp).toString('base64');
  unprotected[JWS_HEADER.x5c] = certificateChain.map((der) => Buffer.from(der).toString('base64'));
  if (input.signingAgent) unprotected[HEADER.signingAgent] = input.signingAgent;
  const envelope = {
    payload: payloadB64,
    protected: protectedB64,
    header: unprotected,
    signature: Buffer.from(signature).toString('base64url'),
  };
  return new TextEncoder().encode(JSON.stringify(envelope));
}
