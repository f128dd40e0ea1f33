/** TSTInfo (RFC 3161 2.4.2): what was timestamped, when, and how accurately. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TSTInfo } from '@peculiar/asn1-tsp';
import { timestampInvalid } from './errors.js';
import { DIGESTS, OID } from './oids.js';

export interface TimestampInfo {
  readonly genTime: Date;
  readonly accuracyMs: number;
  readonly policy: string;
}

export function parseTstInfo(eContent: Uint8Array): TSTInfo {
  let info: TSTInfo;
  try {
    info = AsnConvert.parse(eContent, TSTInfo);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw timestampInvalid(`failed to parse the timestamp countersignature: its TSTInfo does not decode (${reason})`, err);
  }
  if (info.version !== 1) throw timestampInvalid(`TSTInfo version must be 1, but it is ${info.version}`);
  if (Number.isNaN(info.genTime.getTime())) throw timestampInvalid('TSTInfo genTime is not a valid time');
  return info;
}

/**
 * The messageImprint must be the hash of exactly these bytes (the envelope's signature), with the hash algorithm the
 * imprint names (SHA-256, SHA-384 or SHA-512).
 */
export function checkMessageImprint(info: TSTInfo, signature: Uint8Array): void {
  const oid = info.messageImprint.hashAlgorithm.algorithm;
  const digest = DIGESTS[oid];
  if (!digest) {
    throw timestampInvalid(`its messageImprint uses hash algorithm ${oid}; only SHA-256, SHA-384 and SHA-512 are accepted`);
  }
  const expected = createHash(digest).update(signature).digest();
  const actual = Buffer.from(info.messageImprint.hashedMessage.buffer);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw timestampInvalid(
      `its messageImprint (${digest}) does not match the hash of the signature: the timestamp was issued for other data; ` +
        'request a new timestamp for this signature',
    );
  }
}

/**
 * genTime and accuracy. An explicit accuracy is used as given; an absent one is one second under the baseline
 * time-stamp policy (RFC 3628) and zero otherwise, as the trust-store-trust-policy specification says.
 */
export function timestampInfo(info: TSTInfo): TimestampInfo {
  const a = info.accuracy;
  const seconds = a?.seconds ?? 0;
  const millis = a?.millis ?? 0;
  const micros = a?.micros ?? 0;
  if (seconds < 0 || millis < 0 || micros < 0) throw timestampInvalid('TSTInfo accuracy is negative');
  let accuracyMs = seconds * 1000 + millis + micros / 1000;
  if (accuracyMs === 0 && info.policy === OID.baselineTimestampPolicy) accuracyMs = 1000;
  return { genTime: info.genTime, accuracyMs, policy: info.policy };
}
