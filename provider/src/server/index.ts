export { createApp, createMetricsApp, DEFAULT_DEADLINES, type AppOptions, type Deadlines } from './app.js';
export { ProviderMetrics, type ItemOutcome, type MetricsSources, type Route } from './metrics.js';
export { traceMixin } from './traceContext.js';
export type { Decision } from './decisionLog.js';
export { ServerError, type ServerErrorCode } from './errors.js';
export { DEFAULT_LIMITS, type RequestLimits } from './request.js';
export { startServer, parseAddress, type RunningServer, type ServerSettings } from './listen.js';
export { createDevCertificate, type DevCertificate } from './selfSigned.js';
export { parseRuntimeSettings, watchSettingsFile, type RuntimeSettings, type SettingsFile, type SettingsFileOptions } from './runtimeSettings.js';
