/**
 * The one place a test decides to run without something it needs.
 *
 * - Real components (`requireTool`): docker-registry, openssl, softhsm2, redis-server and skopeo are Debian packages
 *   that `.ci/deps` installs. Under CI (the `CI` environment variable set to anything but "" or "false") a missing
 *   one FAILS the test with the reason, so a green CI can never hide an unexercised real component. Elsewhere the
 *   test is skipped and the reason is appended to its title, so the spec reporter prints it.
 * - Documented absences (`requireShared`, `requireOpa`): `../shared` (absent from a user's clone) and `opa` (not
 *   installable from the registries this project uses) are skipped everywhere, visibly.
 */
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type RealComponent = 'docker-registry' | 'openssl' | 'softhsm2' | 'redis-server' | 'skopeo';

/** The program each Debian package provides, found on PATH or in /usr/bin, /usr/sbin. */
const PROGRAM: Readonly<Record<RealComponent, string>> = {
  'docker-registry': 'docker-registry',
  openssl: 'openssl',
  softhsm2: 'softhsm2-util',
  'redis-server': 'redis-server',
  skopeo: 'skopeo',
};

/** softhsm2's PKCS#11 module, where Debian installs it. */
export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export function underCi(env: NodeJS.ProcessEnv): boolean {
  const value = env['CI'];
  return value !== undefined && value !== '' && value.toLowerCase() !== 'false';
}

function isExecutableFile(path: string): boolean {
  try {
    const s = statSync(path);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Where programs are looked for, and the environment that says whether this is CI. */
export interface Host {
  readonly env: NodeJS.ProcessEnv;
  readonly searchPath: readonly string[];
}

export const THIS_HOST: Host = {
  env: process.env,
  searchPath: [...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), '/usr/bin', '/usr/sbin'],
};

/** The absolute path of an executable named `program` in the host's search path, or undefined. */
export function findProgram(program: string, host: Host = THIS_HOST): string | undefined {
  return host.searchPath.map((dir) => join(dir, program)).find(isExecutableFile);
}

/** The path of a real component's program, or undefined when its package is not installed. */
export function componentPath(component: RealComponent, host: Host = THIS_HOST): string | undefined {
  const program = findProgram(PROGRAM[component], host);
  if (component === 'softhsm2' && !existsSync(SOFTHSM2_MODULE)) return undefined;
  return program;
}

export class MissingComponentError extends Error {
  override readonly name = 'MissingComponentError';
  constructor(readonly component: RealComponent) {
    super(
      `${component} is not installed, and CI is set, so this test may not be skipped: ` +
        `run .ci/deps (apt-get install ${component}) and check its output`,
    );
  }
}

function markSkipped(runnable: Mocha.Runnable, reason: string): void {
  if (!runnable.title.includes('(skipped:')) runnable.title += ` (skipped: ${reason})`;
}

function markSuite(suite: Mocha.Suite, reason: string): void {
  for (const test of suite.tests) markSkipped(test, reason);
  for (const child of suite.suites) markSuite(child, reason);
}

/** Skips with the reason in the title of the test, or, from a hook, of every test the skip makes pending. */
export function skipVisibly(ctx: Mocha.Context, reason: string): never {
  const hook = ctx.test; // in a hook, ctx.test is the hook and ctx.currentTest a test of its suite
  if (hook?.parent !== undefined && hook.title.startsWith('"before all" hook')) markSuite(hook.parent, reason);
  else {
    const test = ctx.currentTest ?? ctx.test;
    if (test !== undefined) markSkipped(test, reason);
  }
  ctx.skip();
}

/**
 * Returns the program path of a real component. When it is missing: under CI throws MissingComponentError (the test
 * or hook fails with the reason); elsewhere skips the test (or the suite, from a before hook) with the reason in its
 * title.
 */
export function requireComponent(ctx: Mocha.Context, component: RealComponent, host: Host = THIS_HOST): string {
  const path = componentPath(component, host);
  if (path !== undefined) return path;
  if (underCi(host.env)) throw new MissingComponentError(component);
  return skipVisibly(ctx, `${component} is not installed; .ci/deps installs it`);
}

/** `../shared` (reference vectors, OPA cases, Gatekeeper library) is absent from a user's clone: skip visibly. */
export function requireShared(ctx: Mocha.Context, path: string): void {
  if (!existsSync(path)) skipVisibly(ctx, `${path} is absent (../shared is not part of a user's clone)`);
}

/** `opa` compiles templates to wasm; it is not installable here, so a missing one is a visible skip everywhere. */
export function requireOpa(ctx: Mocha.Context, opa: string | undefined): string {
  if (opa === undefined) return skipVisibly(ctx, 'opa is not on PATH, so templates cannot be compiled to wasm');
  return opa;
}
