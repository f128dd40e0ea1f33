/**
 * Where Notation keeps a plugin: `<plugins>/<name>/notation-<name>`, with `<plugins>` = `$XDG_CONFIG_HOME/notation/plugins`
 * or `~/.config/notation/plugins` (the CLI resolves that folder; this file only looks inside it).
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from '../errors.js';

/** A plugin name (reverse domain names such as com.example.kms, or azure-kv): never a path. */
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function installed(pluginDir: string): string {
  try {
    const names = readdirSync(pluginDir).filter((n) => PLUGIN_NAME.test(n)).slice(0, 20);
    return names.length > 0 ? `installed: ${names.join(', ')}` : `${pluginDir} holds no plugin`;
  } catch {
    return `${pluginDir} does not exist`;
  }
}

/** The executable of plugin `name`. Throws PLUGIN_NOT_FOUND / PLUGIN_NOT_EXECUTABLE. */
export function locatePlugin(name: string, pluginDir: string): string {
  if (!PLUGIN_NAME.test(name) || name.includes('..')) {
    throw new KeyError('PLUGIN_NOT_FOUND', `"${name}" is not a Notation plugin name (letters, digits, ".", "-", "_"; no path)`);
  }
  const path = join(pluginDir, name, `notation-${name}`);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    throw new KeyError('PLUGIN_NOT_FOUND', `Notation plugin ${name} is not installed: ${path} does not exist (${installed(pluginDir)}); install it there or pass --plugin-dir`);
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new KeyError('PLUGIN_NOT_EXECUTABLE', `Notation plugin ${name} at ${path} is not executable; chmod +x it`);
  }
  return path;
}
