/**
 * How the verdict cache holds a verdict: its JSON, deflated (raw DEFLATE) against a dictionary, kept as a one-byte
 * string. A verdict's JSON is about 2 KB and its object graph takes more than twice that in the heap, but verdicts are
 * alike (field names, verifier and trust policy names, signer and issuer, validation list, messages) and differ
 * mostly in digests and times: against the first verdict packed as dictionary, one packs into a few hundred bytes.
 * The dictionary is the first verdict's JSON for the packer's life, so every packed verdict can always be unpacked.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Verdict } from './verdict.js';

/** Dictionary bytes at most (DEFLATE's window is 32 KiB). */
const MAX_DICTIONARY = 32 * 1024;

export class VerdictPacker {
  private dictionary: Buffer | undefined;

  pack(verdict: Verdict): string {
    const json = Buffer.from(JSON.stringify(verdict), 'utf8');
    this.dictionary ??= json.subarray(0, MAX_DICTIONARY);
    return deflateRawSync(json, { dictionary: this.dictionary }).toString('latin1');
  }

  unpack(packed: string): Verdict {
    if (this.dictionary === undefined) throw new Error('verdict packer: nothing was packed yet');
    return JSON.parse(inflateRawSync(Buffer.from(packed, 'latin1'), { dictionary: this.dictionary }).toString('utf8')) as Verdict;
  }
}
