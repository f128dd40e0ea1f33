export { createApp, createMetricsApp, DEFAULT_DEADLINES, type AppOptions, type Deadlines } from './app.js';
export { ProviderMetrics, type MetricsSources, type Route } from './metrics.js';
export { ServerError, type ServerErrorCode } from './errors.js';
export { DEFAULT_LIMITS, type RequestLimits } from './request.js';
export { startServer, parseAddress, type RunningServer, type ServerSettings } from './listen.js';
export { createDevCertificate, type DevCertificate } from './selfSigned.js';
export { parseRuntimeSettings, watchSettingsFile, type RuntimeSettings, type SettingsFile, type SettingsFileOptions } from './runtimeSettings.js';
