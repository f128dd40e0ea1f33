/**
 * Where signgate's own files are: the package root (found from this module's location, so it works from the sources
 * under tsx and from the build under dist/), its `crds/` folder and the embedded default configuration.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The nearest ancestor of this module holding both package.json and crds/. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'crds'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      // Not found: report the folder a user would expect, so the error message names something concrete.
      return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    }
    dir = parent;
  }
}

/** The folder of CustomResourceDefinitions whose schemas validate every config document. */
export function crdsDirectory(): string {
  return join(packageRoot(), 'crds');
}

/** The embedded default configuration `npm start` serves: config/default.yaml. */
export function defaultConfigPath(): string {
  return join(packageRoot(), 'config', 'default.yaml');
}
