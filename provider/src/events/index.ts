// Registry notifications (CNCF Distribution, Harbor) -> typed PushEvents and DeleteEvents, and the bearer-token check.
export { EventError, type EventErrorCode } from './errors.js';
export {
  EVENT_LIMITS,
  MEDIA_TYPE_DISTRIBUTION_EVENTS,
  parseNotification,
  type DeleteEvent,
  type EventSource,
  type ParsedNotification,
  type PushEvent,
} from './pushEvent.js';
export { fileTokenCheck, type TokenCheck } from './token.js';
