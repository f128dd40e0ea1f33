/** Public surface of the gator-compatible Suite runner. */
export { runSuites, checkAssertion, type RunOptions, type RunSummary } from './runner.js';
export { builtinEngine, type TemplateEngine, type CompiledTemplate, type Violation } from './engines.js';
export { wasmEngine, findOpa } from './wasmEngine.js';
export { LiveHost, type LiveProvider } from './liveProvider.js';
export { externalDataBuiltin, fixtureHost, ExternalDataHalt, type ExternalDataHost, type ExternalDataAnswer } from './externalData.js';
export { PolicyTestError, type PolicyTestErrorCode } from './errors.js';
export type { Json, JsonObject } from './yamlFiles.js';
