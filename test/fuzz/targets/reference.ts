/** Reference parsing and canonicalization: only REFERENCE_INVALID, round trip and idempotence. */
import fc from 'fast-check';
import { OciError, formatReference, parseReference, parseRepositoryName, formatRepository } from '../../../provider/src/oci/index.js';
import { checkable, FuzzFinding, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof OciError && e.code === 'REFERENCE_INVALID';
const piece = fc.constantFrom('a', 'Z', '0', '.', ':', '/', '@', '[', ']', '_', '-', '%', 'sha256:', 'docker.io', 'localhost', '::1', '0x7f', '443', 'library', ' ', '\u00e9');
const referenceLike = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.array(piece, { maxLength: 30 }).map((p) => p.join('')),
  fc.tuple(fc.domain(), fc.option(fc.integer({ min: 0, max: 70000 })), fc.stringMatching(/^[a-z0-9]+(\/[a-z0-9]+){0,2}$/), fc.constantFrom('', ':v1', `@sha256:${'a'.repeat(64)}`)).map(
    ([h, p, r, t]) => `${h}${p === null ? '' : `:${p}`}/${r}${t}`,
  ),
);

export const referenceTarget: FuzzTarget = {
  name: 'reference',
  what: 'oci/reference: parseReference / parseRepositoryName on arbitrary and reference-shaped text',
  ciRuns: 3000,
  property: () =>
    checkable(fc.property(referenceLike, (input) => {
      const ref = typedOnly(typed, () => parseReference(input));
      if (ref !== undefined) {
        const once = formatReference(ref);
        const twice = formatReference(parseReference(once));
        if (once !== twice) throw new FuzzFinding(`not idempotent: ${JSON.stringify(input)} -> ${once} -> ${twice}`);
      }
      const repo = typedOnly(typed, () => parseRepositoryName(input));
      if (repo !== undefined) {
        const once = formatRepository(repo);
        if (formatRepository(parseRepositoryName(once)) !== once) throw new FuzzFinding(`repository name not idempotent: ${JSON.stringify(input)}`);
      }
    })),
};
