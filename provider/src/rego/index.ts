/** Public surface of the Rego engine. */
export { RegoPolicy, type RegoModuleSource, type CompileOptions, type EvalOptions, type Bindings } from './engine.js';
export { RegoError, BuiltinError, type RegoErrorCode, type RegoLocation } from './errors.js';
export { type Value, RObject, RSet, fromJSON, toJSON, type JSONValue } from './value.js';
export { type Builtin, type BuiltinContext, defaultBuiltins } from './builtins/index.js';
export { runConformance, summarize, type CaseOutcome, type ConformanceSummary } from './conformance.js';
export type { Body, Expr, Module, Rule, Term } from './ast.js';
export { relaxQuotedIndent } from './yamlCompat.js';
export { walkBody, walkTerm } from './walk.js';
