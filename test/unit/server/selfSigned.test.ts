import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certificateSerial, createDevCertificate } from '../../../provider/src/server/selfSigned.js';

describe('server/selfSigned: development certificate serial numbers', () => {
  it('never starts with a zero byte or a set sign bit, whatever the random bytes (DER INTEGER without padding)', () => {
    for (const first of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      const serial = certificateSerial(new Uint8Array([first, 0x05, 0x06]));
      assert.ok(serial[0] !== 0 && (serial[0] ?? 0) < 0x80, `first byte ${first} -> ${serial[0]}`);
      assert.deepEqual([...serial.slice(1)], [0x05, 0x06]);
    }
  });

  it('produces certificates OpenSSL parses', () => {
    const dev = createDevCertificate({ now: new Date('2025-11-01T00:00:00Z') });
    assert.match(new X509Certificate(dev.certPem).serialNumber, /^[4-7][0-9A-F]{31}$/);
    assert.ok(new X509Certificate(dev.caPem).ca);
  });
});
