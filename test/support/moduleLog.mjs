/**
 * `node --import ./test/support/moduleLog.mjs ...`: appends the URL of every module the program imports to the file
 * named by SIGNGATE_TEST_MODULE_LOG, one per line, so a test can assert what a command did NOT load
 * (e.g. that `signgate verify --help` never imports the Kubernetes client or the Rego engine).
 */
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const log = process.env.SIGNGATE_TEST_MODULE_LOG;
  if (log) appendFileSync(log, result.url + '\\n');
  return result;
}`;

register(`data:text/javascript,${encodeURIComponent(hook)}`);
