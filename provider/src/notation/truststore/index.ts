// Notation's trust store folders (x509/{ca,signingAuthority,tsa}/<name>/), read and checked as notation-go does.
export { openTrustStore, type TrustStore } from './store.js';
export {
  createMemoryTrustStore,
  readTrustedCertificates,
  type MemoryTrustStore,
  type MemoryTrustStoreEntry,
  type TrustedCertificate,
} from './memory.js';
