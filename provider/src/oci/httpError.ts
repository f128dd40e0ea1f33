/** Maps a registry's non-success answer to an OciError, with the distribution-spec error body (bounded) as detail. */
import { OciError, type OciErrorCode } from './errors.js';
import { readBody } from './body.js';
import { isPlainObject } from './descriptor.js';
import { safeUrl, type Sent } from './transport.js';

const MAX_ERROR_BODY = 64 * 1024;

/** "CODE: message; CODE: message" from {"errors":[{"code","message"}]}, printable ASCII, clipped; '' when absent. */
async function errorDetail(sent: Sent): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readBody(sent, { cap: MAX_ERROR_BODY, what: 'error body' });
  } catch {
    return '';
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return '';
  }
  if (!isPlainObject(json) || !Array.isArray(json['errors'])) return '';
  const parts = (json['errors'] as unknown[]).slice(0, 3).flatMap((e) => {
    if (!isPlainObject(e)) return [];
    const code = typeof e['code'] === 'string' ? e['code'] : '';
    const message = typeof e['message'] === 'string' ? e['message'] : '';
    return [`${code}${code && message ? ': ' : ''}${message}`];
  });
  return parts.join('; ').replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

/**
 * The error for `sent` (a non-2xx answer). `what` says what was asked for and of which image; `notFound` is the code
 * for 404 (MANIFEST_NOT_FOUND, BLOB_NOT_FOUND, ...).
 */
export async function statusError(sent: Sent, what: string, notFound: OciErrorCode = 'MANIFEST_NOT_FOUND'): Promise<OciError> {
  const status = sent.response.status;
  const detail = await errorDetail(sent);
  const said = detail ? ` (registry says ${detail})` : '';
  const at = `${what}: ${sent.method} ${safeUrl(sent.url)} answered ${status}${said}`;
  if (status === 401) return new OciError('UNAUTHORIZED', `${at}; the registry needs credentials or rejected them: add or fix them in the Docker config.json they come from (--registry-config on the CLI, the Store's or SigningRule's registryCredentials)`);
  if (status === 403) return new OciError('DENIED', `${at}; the credentials are valid but lack permission for this repository`);
  if (status === 404) return new OciError(notFound, `${at}; check the repository name, tag or digest`);
  const retryAfter = sent.response.headers.get('retry-after')?.trim().replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
  const asks = retryAfter ? ` (it asks to retry after "${retryAfter}")` : '';
  if (status === 429) return new OciError('RATE_LIMITED', `${at}; the registry rate-limits this client${asks}, retry later or authenticate`);
  if (status >= 500) return new OciError('REGISTRY_ERROR', `${at}; the registry failed${asks}, retry later`);
  if (status >= 400) return new OciError('REGISTRY_REJECTED', `${at}`);
  return new OciError('RESPONSE_INVALID', `${at}, which the distribution spec does not allow here`);
}
