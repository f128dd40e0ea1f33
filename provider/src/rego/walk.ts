/** Visits every term of a Rego term or body (the compiler's recursion check and gator-style template checks). */
import type { Body, Term } from './ast.js';

export function walkTerm(t: Term, f: (t: Term) => void, withTargets = false): void {
  f(t);
  switch (t.type) {
    case 'ref': if (t.head.type !== 'var') walkTerm(t.head, f, withTargets); t.path.forEach((p) => walkTerm(p, f, withTargets)); break;
    case 'array': case 'set': t.items.forEach((x) => walkTerm(x, f, withTargets)); break;
    case 'object': t.items.forEach(([k, v]) => { walkTerm(k, f, withTargets); walkTerm(v, f, withTargets); }); break;
    case 'call': t.args.forEach((a) => walkTerm(a, f, withTargets)); break;
    case 'arraycomp': case 'setcomp': walkTerm(t.term, f, withTargets); walkBody(t.body, f, withTargets); break;
    case 'objectcomp': walkTerm(t.key, f, withTargets); walkTerm(t.value, f, withTargets); walkBody(t.body, f, withTargets); break;
    default: break;
  }
}

/** `withTargets`: also visit the targets of `with` modifiers (not only their values). */
export function walkBody(b: Body, f: (t: Term) => void, withTargets = false): void {
  for (const e of b) {
    for (const w of e.withs) {
      if (withTargets) walkTerm(w.target, f, withTargets);
      walkTerm(w.value, f, withTargets);
    }
    switch (e.kind) {
      case 'term': walkTerm(e.term, f, withTargets); break;
      case 'unify': case 'assign': walkTerm(e.left, f, withTargets); walkTerm(e.right, f, withTargets); break;
      case 'somein': walkTerm(e.domain, f, withTargets); walkTerm(e.value, f, withTargets); if (e.key) walkTerm(e.key, f, withTargets); break;
      case 'every': walkTerm(e.domain, f, withTargets); walkBody(e.body, f, withTargets); break;
      case 'somedecl': break;
    }
  }
}
