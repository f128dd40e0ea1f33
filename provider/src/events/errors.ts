import { SigngateError } from '../errors.js';

/** Every failure of reading a registry push notification. Append new codes; never rename one. */
export type EventErrorCode =
  | 'EVENT_UNAUTHENTICATED' // no bearer token, or not the configured one
  | 'EVENT_TOO_LARGE' // the body is larger than the limit
  | 'EVENT_MEDIA_TYPE' // a Content-Type that is neither the Distribution envelope nor JSON
  | 'EVENT_MALFORMED' // not JSON, or not the shape of a Distribution envelope / Harbor webhook
  | 'EVENT_UNRELATED' // a well-formed notification of a kind this service does not act on (e.g. Harbor SCANNING_COMPLETED)
  | 'TOKEN_FILE_INVALID'; // the --token-file cannot be read or holds no token: every request is refused

export class EventError extends SigngateError<EventErrorCode> {}
