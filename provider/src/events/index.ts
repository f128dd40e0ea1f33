// Registry push notifications (CNCF Distribution, Harbor) -> typed PushEvents, and the bearer-token check.
export { EventError, type EventErrorCode } from './errors.js';
export {
  EVENT_LIMITS,
  MEDIA_TYPE_DISTRIBUTION_EVENTS,
  parseNotification,
  type EventSource,
  type ParsedNotification,
  type PushEvent,
} from './pushEvent.js';
export { fileTokenCheck, type TokenCheck } from './token.js';
