import assert from 'node:assert/strict';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import type { EnvelopeContent } from '../../../../provider/src/notation/types.js';
import { createPki, type Pki } from '../../../support/pki.js';
import { H, COSE_ALG, PAYLOAD_CTY, assertNotationError, craftCose, craftJws, epoch } from '../../../support/envelopes.js';

const AT = new Date('2025-03-01T12:00:00Z');
const LATER = new Date('2025-09-01T00:00:00Z');

/** A protected header written once, in the spec's names; `alg`, `cty`, `crit` map to COSE labels 1, 3, 2. */
type Header = Record<string, unknown>;

function base(scheme: 'notary.x509' | 'notary.x509.signingAuthority' = 'notary.x509'): Header {
  return scheme === 'notary.x509'
    ? { alg: 'ES256', cty: PAYLOAD_CTY, crit: [H.scheme], [H.scheme]: scheme, [H.signingTime]: AT }
    : { alg: 'ES256', cty: PAYLOAD_CTY, crit: [H.scheme, H.authenticSigningTime], [H.scheme]: scheme, [H.authenticSigningTime]: AT };
}

const LABELS: Record<string, number> = { alg: 1, crit: 2, cty: 3 };

function without(h: Header, ...names: string[]): Header {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !names.includes(k)));
}

describe('notation/envelope: signed attributes and crit (JWS and COSE alike)', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki({ at: AT, leafKey: 'ec-p256' });
  });

  for (const format of ['JWS', 'COSE'] as const) {
    const envelope = (h: Header, payload?: Uint8Array): Uint8Array => {
      const common = { alg: 'ES256' as const, key: pki.leaf.key.privateKey, chain: pki.chain, ...(payload ? { payload } : {}) };
      if (format === 'JWS') {
        const json = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v instanceof Date ? v.toISOString().replace('.000Z', 'Z') : v]));
        return craftJws({ ...common, protectedHeader: json });
      }
      const map = new Map<number | string, unknown>(
        Object.entries(h).map(([k, v]) => [LABELS[k] ?? k, k === 'alg' ? COSE_ALG[v as 'ES256'] : v instanceof Date ? epoch(v) : v]),
      );
      return craftCose({ ...common, protectedHeader: map });
    };
    const verify = (h: Header, payload?: Uint8Array): EnvelopeContent =>
      parseEnvelope(format === 'JWS' ? 'application/jose+json' : 'application/cose', envelope(h, payload)).verify();

    describe(format, () => {
      it('accepts both signing schemes with their time attribute, and expiry when critical', () => {
        const x509 = verify({ ...base(), [H.expiry]: LATER, crit: [H.scheme, H.expiry] }).signerInfo;
        assert.equal(x509.signingTime?.getTime(), AT.getTime());
        assert.equal(x509.expiry?.getTime(), LATER.getTime());
        const sa = verify(base('notary.x509.signingAuthority')).signerInfo;
        assert.equal(sa.signingScheme, 'notary.x509.signingAuthority');
        assert.equal(sa.authenticSigningTime?.getTime(), AT.getTime());
        assert.equal(sa.signingTime, undefined);
      });

      it('accepts an extra extended attribute that is not critical', () => {
        assert.equal(verify({ ...base(), 'com.example.note': 'informational' }).signerInfo.signingScheme, 'notary.x509');
      });

      it('requires crit, as a non-empty array of distinct names that are all present', () => {
        assertNotationError(() => verify(without(base(), 'crit')), 'CRIT_INVALID', /no "crit"/);
        assertNotationError(() => verify({ ...base(), crit: [] }), 'CRIT_INVALID', /non-empty array/);
        assertNotationError(() => verify({ ...base(), crit: H.scheme }), 'CRIT_INVALID', /non-empty array/);
        assertNotationError(() => verify({ ...base(), crit: [H.scheme, H.scheme] }), 'CRIT_INVALID', /twice/);
        assertNotationError(() => verify({ ...base(), crit: [H.scheme, 7] }), 'CRIT_INVALID', /not a header name/);
        assertNotationError(() => verify({ ...base(), crit: [H.scheme, H.expiry] }), 'CRIT_INVALID', /absent from the protected header/);
      });

      it('requires the signing scheme, expiry when present and authenticSigningTime in crit', () => {
        const noScheme = { ...base(), [H.expiry]: LATER, crit: [H.expiry] };
        assertNotationError(() => verify(noScheme), 'CRIT_INVALID', /must list "io.cncf.notary.signingScheme"/);
        assertNotationError(() => verify({ ...base(), [H.expiry]: LATER }), 'CRIT_INVALID', /must list "io.cncf.notary.expiry"/);
        const sa = { ...base('notary.x509.signingAuthority'), crit: [H.scheme] };
        assertNotationError(() => verify(sa), 'CRIT_INVALID', /must list "io.cncf.notary.authenticSigningTime"/);
      });

      it('refuses names in crit that must not be critical, and unknown critical attributes', () => {
        assertNotationError(() => verify({ ...base(), crit: [H.scheme, H.signingTime] }), 'CRIT_INVALID', /must not be marked critical/);
        const unknown = { ...base(), SomeKey: 'SomeValue', crit: [H.scheme, 'SomeKey'] };
        assertNotationError(() => verify(unknown), 'UNSUPPORTED_CRITICAL_ATTRIBUTE', /"SomeKey"/);
        const minVersion = { ...base(), [H.pluginMinVersion]: '1.0.0', crit: [H.scheme, H.pluginMinVersion] };
        assertNotationError(() => verify(minVersion), 'UNSUPPORTED_CRITICAL_ATTRIBUTE', /verificationPluginMinVersion/);
        if (format === 'JWS') assertNotationError(() => verify({ ...base(), crit: [H.scheme, 'alg'] }), 'CRIT_INVALID', /"alg"/);
      });

      it('fails PLUGIN_REQUIRED for a signature that names a verification plugin, critical or not', () => {
        const critical = { ...base(), [H.plugin]: 'com.example.plugin', [H.pluginMinVersion]: '1.2.0', crit: [H.scheme, H.plugin, H.pluginMinVersion] };
        const withVersion = assertNotationError(() => verify(critical), 'PLUGIN_REQUIRED');
        assert.match(withVersion.message, /requires verification plugin "com\.example\.plugin" version "1\.2\.0" or later/);
        const err = assertNotationError(() => verify({ ...base(), [H.plugin]: 'com.example.plugin' }), 'PLUGIN_REQUIRED');
        assert.match(err.message, /requires verification plugin "com\.example\.plugin"/);
        assert.match(err.message, /signgate does not support verification plugins/);
      });

      it('requires exactly the time attribute of the signing scheme', () => {
        assertNotationError(() => verify(without(base(), H.signingTime)), 'SIGNED_ATTRIBUTE_INVALID', /"io.cncf.notary.signingTime" is required/);
        const sa = base('notary.x509.signingAuthority');
        assertNotationError(() => verify({ ...without(sa, H.authenticSigningTime), crit: [H.scheme] }), 'SIGNED_ATTRIBUTE_INVALID', /authenticSigningTime" is required/);
        assertNotationError(() => verify({ ...sa, [H.signingTime]: AT }), 'SIGNED_ATTRIBUTE_INVALID', /must not be present/);
        const both = { ...base(), [H.authenticSigningTime]: AT, crit: [H.scheme, H.authenticSigningTime] };
        assertNotationError(() => verify(both), 'SIGNED_ATTRIBUTE_INVALID', /must not be present/);
      });

      it('requires a supported signing scheme', () => {
        assertNotationError(() => verify(without(base(), H.scheme)), 'SIGNED_ATTRIBUTE_INVALID', /signingScheme" is missing/);
        assertNotationError(() => verify({ ...base(), [H.scheme]: 'notary.default.x509' }), 'SIGNED_ATTRIBUTE_INVALID', /not one of/);
      });

      it('requires expiry to be after the signing time', () => {
        const crit = [H.scheme, H.expiry];
        assertNotationError(() => verify({ ...base(), [H.expiry]: new Date(AT.getTime() - 1000), crit }), 'SIGNED_ATTRIBUTE_INVALID', /not after/);
        assertNotationError(() => verify({ ...base(), [H.expiry]: AT, crit }), 'SIGNED_ATTRIBUTE_INVALID', /not after/);
        assertNotationError(() => verify({ ...base(), [H.expiry]: 'soon', crit }), 'SIGNED_ATTRIBUTE_INVALID', /expiry/);
      });

      it('requires the Notary payload content type and a non-empty payload', () => {
        assertNotationError(() => verify({ ...base(), cty: 'application/json' }), 'PAYLOAD_INVALID', /"application\/json" is not supported/);
        assertNotationError(() => verify(without(base(), 'cty')), 'PAYLOAD_INVALID', /content type is missing/);
        assertNotationError(() => verify(base(), new Uint8Array(0)), 'PAYLOAD_INVALID', /empty/);
      });
    });
  }
});
