/**
 * POST /v1/registry-events: the one registry-notification route of both services (`signgate signer serve`, and
 * `signgate serve --events-token-file`). The bearer token is checked first (events/token.ts), then the body is read
 * within EVENT_LIMITS and parsed by events/ (CNCF Distribution envelope, Harbor webhook). Every refusal is a 4xx (503
 * for an unusable token file) whose JSON body says what was wrong and what to do, and reaches no consumer. What an
 * accepted notification does is the caller's `accept`, which must not wait for slow work: the registry retries an
 * envelope until it is acknowledged, so the answer (202) comes at once.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { EventError, EVENT_LIMITS, parseNotification, type EventErrorCode, type ParsedNotification, type TokenCheck } from '../events/index.js';
import { ServerError } from './errors.js';
import { readBody } from './request.js';

export const REGISTRY_EVENTS_PATH = '/v1/registry-events';

/** The HTTP status of each refusal. */
export const EVENT_STATUS: Readonly<Record<EventErrorCode, number>> = {
  EVENT_UNAUTHENTICATED: 401,
  TOKEN_FILE_INVALID: 503,
  EVENT_TOO_LARGE: 413,
  EVENT_MEDIA_TYPE: 415,
  EVENT_MALFORMED: 400,
  EVENT_UNRELATED: 422,
};

/** Answers `status` with `{"error":{"code","message"}}`. */
export function refuse(ctx: Koa.Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { error: { code, message } };
}

export interface RegistryEventsOptions {
  readonly tokens: TokenCheck;
  readonly logger: Logger;
  /** Counts each notification by result: `accepted` or the EventError code of its refusal. */
  readonly count: (result: 'accepted' | EventErrorCode) => void;
  /** Acts on an accepted notification (without waiting for slow work) and returns the body of the 202 answer. */
  readonly accept: (parsed: ParsedNotification, traceID: string) => Readonly<Record<string, unknown>>;
}

/** The route's koa handler. The trace id is the app's (`ctx.state.traceID`) when it sets one, else a new one. */
export function registryEventsHandler(options: RegistryEventsOptions): Koa.Middleware {
  const { tokens, logger, count, accept } = options;
  return async (ctx) => {
    const state = ctx.state as { traceID?: unknown };
    const traceID = typeof state.traceID === 'string' ? state.traceID : randomUUID();
    const from = ctx.ip; // read now: once a refused body has been cut off, the request has no socket to ask
    try {
      await tokens.check(ctx.get('authorization') || undefined);
      let body: Buffer;
      try {
        body = await readBody(ctx.req, EVENT_LIMITS.maxBodyBytes);
      } catch (err) {
        if (err instanceof ServerError && err.code === 'BODY_TOO_LARGE') {
          throw new EventError('EVENT_TOO_LARGE', `the notification is larger than ${EVENT_LIMITS.maxBodyBytes} bytes; lower the registry endpoint's threshold (events per notification)`);
        }
        throw err;
      }
      const parsed = parseNotification(ctx.get('content-type') || undefined, body.toString('utf8'));
      const answer = accept(parsed, traceID);
      count('accepted');
      logger.info({ traceID, source: parsed.source, pushes: parsed.pushes.length, deletes: parsed.deletes.length, ignored: parsed.ignored, ...answer }, 'registry notification accepted');
      ctx.status = 202;
      ctx.body = answer;
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      count(err.code);
      logger.warn({ traceID, code: err.code, from }, err.message);
      refuse(ctx, EVENT_STATUS[err.code], err.code, err.message);
    }
  };
}
