/**
 * The PolicyReport CRD the chart ships (charts/signgate/files/policyreport-crds), compiled with ajv the way
 * config/crds.ts compiles signgate's own CRDs (toValidationSchema: objects that declare properties are closed, as a
 * structural schema prunes or, under strict field validation, rejects unknown fields), so a test can check that what
 * the PolicyReport writer sends is accepted by that schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { toValidationSchema } from '../../provider/src/config/crds.js';

export const POLICY_REPORT_CRD = join(import.meta.dirname, '..', '..', 'charts', 'signgate', 'files', 'policyreport-crds', 'wgpolicyk8s.io_policyreports.yaml');

type Node = Record<string, unknown>;

function compile(): (value: unknown) => string[] {
  const crd = parse(readFileSync(POLICY_REPORT_CRD, 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Node } }[] } };
  const version = crd.spec.versions.find((v) => v.name === 'v1alpha2');
  if (!version) throw new Error(`${POLICY_REPORT_CRD} has no v1alpha2`);
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: true, strictRequired: true, coerceTypes: false });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  const validate = ajv.compile(toValidationSchema(version.schema.openAPIV3Schema));
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}

let compiled: ((value: unknown) => string[]) | undefined;

/** Every violation of the shipped v1alpha2 PolicyReport schema by `report` (empty: valid). */
export function policyReportViolations(report: unknown): string[] {
  compiled ??= compile();
  return compiled(report);
}
