// RFC 3161 timestamp countersignatures: verification against tsa store roots, and the timestamp window.
export { timestampWindow, verifyTimestampToken, type VerifiedTimestamp } from './verify.js';
