/** The default builtin table: every family merged. Hosts add their own (e.g. `external_data`) on top. */
import { awsBuiltins } from './aws.js';
import { coreBuiltins } from './core.js';
import { encodingBuiltins } from './encoding.js';
import { jsonPatchBuiltins } from './jsonPatch.js';
import { jsonSchemaBuiltins } from './jsonSchema.js';
import { jwtBuiltins } from './jwt.js';
import { miscBuiltins } from './misc.js';
import { netBuiltins } from './net.js';
import { timeBuiltins } from './time.js';
import { x509Builtins } from './x509.js';
import { objectBuiltins } from './objects.js';
import { regexBuiltins } from './regex.js';
import { sprintfBuiltins } from './sprintf.js';
import { stringBuiltins } from './strings.js';
import type { Builtin, BuiltinTable } from './types.js';

export const defaultBuiltins: BuiltinTable = Object.freeze({
  ...coreBuiltins,
  ...stringBuiltins,
  ...sprintfBuiltins,
  ...objectBuiltins,
  ...regexBuiltins,
  ...encodingBuiltins,
  ...miscBuiltins,
  ...jwtBuiltins,
  ...jsonPatchBuiltins,
  ...jsonSchemaBuiltins,
  ...netBuiltins,
  ...timeBuiltins,
  ...awsBuiltins,
  ...x509Builtins,
});

export type { Builtin, BuiltinContext, BuiltinTable } from './types.js';
export function withHostBuiltins(host: Readonly<Record<string, Builtin>>): BuiltinTable {
  return Object.freeze({ ...defaultBuiltins, ...host });
}
