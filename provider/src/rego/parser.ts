/**
 * Rego module parser (v0 and v1 syntax): package, imports, rules with ref heads, `default`, `else`, functions,
 * `contains` / `if`, incremental bodies. Parse errors carry file, line and column.
 */
import { RegoError } from './errors.js';
import type { Body, Expr, Import, Module, Rule, RuleHead, Term } from './ast.js';
import { scalar, vr } from './ast.js';
import { tokenize } from './lexer.js';
import { ExprParser } from './parseExpr.js';

const TRUE_BODY = (loc: Expr['loc']): Body => [{ kind: 'term', term: scalar(true), negated: false, withs: [], loc }];

class ModuleParser extends ExprParser {
  private regoV1 = false;

  parseModule(): Module {
    if (!this.is('package', 'ident')) this.fail(this.tok.kind === 'eof' ? 'empty module' : 'package expected');
    this.next();
    const pkg = this.refToPath(this.parseTermRelation(), 'package');
    const imports: Import[] = [];
    while (this.is('import', 'ident')) {
      const t = this.next();
      const path = this.parseTermRelation();
      let alias: string | undefined;
      if (this.is('as', 'ident')) { this.next(); alias = this.expectIdent(); }
      const p = this.refToPath(path, 'import');
      if (p[0] === 'rego' && p[1] === 'v1') this.regoV1 = true;
      if (!['data', 'input', 'future', 'rego'].includes(p[0] ?? '')) this.fail(`invalid import path: ${p.join('.')}`, t);
      imports.push({ path, alias, loc: this.loc(t) });
    }
    const rules: Rule[] = [];
    while (this.tok.kind !== 'eof') {
      if (this.is('import', 'ident')) this.fail('imports must appear before rules');
      if (this.is('package', 'ident')) this.fail('unexpected package keyword');
      rules.push(...this.parseRule());
    }
    return { file: this.file, pkg, imports, rules, regoV1: this.regoV1 };
  }

  parseQuery(): Body {
    const body = this.parseBody('');
    if (this.tok.kind !== 'eof') this.fail(`unexpected ${this.describe(this.tok)}`);
    if (body.length === 0) this.fail('empty query');
    return body;
  }

  private expectIdent(): string {
    if (this.tok.kind !== 'ident') this.fail(`unexpected ${this.describe(this.tok)}, expected identifier`);
    return this.next().text;
  }

  private refToPath(t: Term, what: string): string[] {
    const head = t.type === 'ref' ? t.head : t;
    const path = t.type === 'ref' ? t.path : [];
    if (head.type !== 'var') this.fail(`invalid ${what} path`);
    return [head.name, ...path.map((p) => (p.type === 'scalar' && typeof p.value === 'string' ? p.value : this.fail(`invalid ${what} path`)))];
  }

  private parseRule(): Rule[] {
    const start = this.tok;
    const loc = this.loc(start);
    let isDefault = false;
    if (this.is('default', 'ident')) { this.next(); isDefault = true; }
    if (this.tok.kind !== 'ident') this.fail(`unexpected ${this.describe(this.tok)}`);
    const headTerm = this.parseHeadRef();
    let args: Term[] | undefined;
    if (this.is('(')) {
      this.next();
      args = [];
      while (!this.is(')')) {
        args.push(this.parseTermIn());
        if (!this.is(',')) break;
        this.next();
      }
      this.expect(')');
    }
    let key: Term | undefined;
    let value: Term | undefined;
    let assign = false;
    if (this.is('contains', 'ident')) { this.next(); key = this.parseTermIn(); }
    else if (this.is('=') || this.is(':=')) { assign = this.next().text === ':='; value = this.parseTermIn(); }
    let ref = headTerm;
    let hasIf = false;
    if (this.is('if', 'ident')) { this.next(); hasIf = true; }
    if (!key && !value && !args && ref.length === 2 && !this.regoV1 && !isDefault && !hasIf) {
      key = ref[1];
      ref = [ref[0] as Term];
    }
    const head: RuleHead = { ref, key, value, args, assign };
    if (isDefault) {
      if (!value) this.fail('default rule must have a value', start);
      return [{ head, body: TRUE_BODY(loc), isDefault, elses: [], loc }];
    }
    const bodies: Body[] = [];
    if (this.is('{') && !(this.tok.nl && !hasIf)) {
      bodies.push(this.braceBody());
      while (this.is('{')) bodies.push(this.braceBody());
    } else if (hasIf) {
      bodies.push([this.parseLiteral()]);
    } else bodies.push(TRUE_BODY(loc));
    const elses: { value: Term | undefined; body: Body; loc: Expr['loc'] }[] = [];
    while (this.is('else', 'ident')) {
      const et = this.next();
      let ev: Term | undefined;
      if (this.is('=') || this.is(':=')) { this.next(); ev = this.parseTermIn(); }
      let eb: Body;
      let eIf = false;
      if (this.is('if', 'ident')) { this.next(); eIf = true; }
      if (this.is('{')) eb = this.braceBody();
      else if (eIf) eb = [this.parseLiteral()];
      else eb = TRUE_BODY(this.loc(et));
      elses.push({ value: ev, body: eb, loc: this.loc(et) });
    }
    return bodies.map((body, n) => ({ head, body, isDefault, elses: n === 0 ? elses : [], loc }));
  }

  private braceBody(): Body {
    const open = this.expect('{');
    const body = this.parseBody('}');
    this.expect('}');
    if (body.length === 0) this.fail('found empty body', open);
    return body;
  }

  /** `p`, `p.q.r`, `p[x]`, `p.q[x].r`: the rule name plus ref segments, without calls. */
  private parseHeadRef(): Term[] {
    const name = this.next();
    const ref: Term[] = [scalar(name.text)];
    for (;;) {
      if (this.is('.') && !this.tok.nl) { this.next(); ref.push(scalar(this.expectIdent())); continue; }
      if (this.is('[') && !this.tok.nl) {
        this.next();
        ref.push(this.parseTermIn());
        this.expect(']');
        continue;
      }
      break;
    }
    return ref;
  }
}

export function parseModule(source: string, file = 'module.rego'): Module {
  return new ModuleParser(tokenize(source, file), file).parseModule();
}

export function parseQuery(source: string, file = 'query'): Body {
  return new ModuleParser(tokenize(source, file), file).parseQuery();
}

export { RegoError, vr };
