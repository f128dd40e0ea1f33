export { OciError, type OciErrorCode } from './errors.js';
export type { Descriptor } from './descriptor.js';
export { parseReference, formatReference, type Reference } from './reference.js';
export type { SignatureManifest, SignatureManifestForm } from './signatureManifest.js';
export { openOciLayout, type OciLayout, type OciLayoutOptions } from './layout.js';
export { ARTIFACT_TYPE_NOTARY_SIGNATURE } from './mediaTypes.js';
