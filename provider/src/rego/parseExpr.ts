/**
 * Rego expression parser: terms (scalars, refs, calls, composites, comprehensions), infix operators with OPA's
 * precedence (in < relations < | < & < + - < * / %), literals (`not`, `some`, `every`, `with`) and bodies.
 * Newlines separate body expressions; infix operators continue over a newline only inside parentheses.
 */
import { RegoError, type RegoLocation } from './errors.js';
import type { Body, Expr, ExprKind, Term, With } from './ast.js';
import { scalar, vr } from './ast.js';
import type { Token } from './lexer.js';
import { numberLiteral } from './value.js';

const RELATIONS: Readonly<Record<string, string>> = { '==': 'equal', '!=': 'neq', '<': 'lt', '>': 'gt', '<=': 'lte', '>=': 'gte' };
const MAX_DEPTH = 200;

export class ExprParser {
  protected i = 0;
  private parens = 0;
  /** Paren depth at which `|` ends a comprehension head instead of meaning set union. */
  private barStop = -1;
  private depth = 0;

  constructor(protected readonly toks: readonly Token[], protected readonly file: string) {}

  protected get tok(): Token { return this.toks[this.i] as Token; }
  protected peek(n = 1): Token { return (this.toks[this.i + n] ?? this.toks[this.toks.length - 1]) as Token; }
  protected loc(t: Token = this.tok): RegoLocation { return { file: this.file, row: t.row, col: t.col }; }
  protected fail(msg: string, t: Token = this.tok): never { throw new RegoError('rego_parse_error', msg, this.loc(t)); }
  protected is(text: string, kind: 'op' | 'ident' = 'op'): boolean { return this.tok.kind === kind && this.tok.text === text; }
  protected next(): Token { const t = this.tok; if (t.kind !== 'eof') this.i++; return t; }
  protected expect(text: string, kind: 'op' | 'ident' = 'op'): Token {
    if (!this.is(text, kind)) this.fail(`unexpected ${this.describe(this.tok)}, expected ${text}`);
    return this.next();
  }
  protected describe(t: Token): string { return t.kind === 'eof' ? 'eof token' : `${t.text} token`; }
  /** True when the current token may continue an infix expression. */
  private cont(): boolean { return !this.tok.nl || this.parens > 0; }

  parseBody(close: string): Body {
    const body: Expr[] = [];
    for (;;) {
      while (this.is(';')) this.next();
      if (this.atEnd(close)) break;
      body.push(this.parseLiteral());
      if (this.is(';')) continue;
      if (this.atEnd(close)) break;
      if (!this.tok.nl) this.fail(`unexpected ${this.describe(this.tok)}`);
    }
    return body;
  }

  private atEnd(close: string): boolean { return this.tok.kind === 'eof' || (close !== '' && this.is(close)); }

  parseLiteral(): Expr {
    const start = this.tok;
    let negated = false;
    if (this.is('not', 'ident') && !this.isOpAhead()) { this.next(); negated = true; }
    let kind: ExprKind;
    if (this.is('some', 'ident') && !negated && !this.isOpAhead()) kind = this.parseSome();
    else if (this.is('every', 'ident') && this.peek().kind === 'ident') kind = this.parseEvery();
    else {
      const left = this.parseTermIn(true);
      if (this.is('=') && this.cont()) { this.next(); kind = { kind: 'unify', left, right: this.parseTermIn(true) }; }
      else if (this.is(':=') && this.cont()) { this.next(); kind = { kind: 'assign', left, right: this.parseTermIn(true) }; }
      else kind = { kind: 'term', term: left };
    }
    const withs: With[] = [];
    while (this.is('with', 'ident')) {
      this.next();
      const target = this.parseTermRelation();
      this.expect('as', 'ident');
      withs.push({ target, value: this.parseTermIn() });
    }
    return { ...kind, negated, withs, loc: this.loc(start) } as Expr;
  }

  private isOpAhead(): boolean {
    const n = this.peek();
    return n.kind === 'op' && ['=', ':='].includes(n.text) && !n.nl;
  }

  private parseSome(): ExprKind {
    this.next();
    const first = this.parseTermRelation();
    let second: Term | undefined;
    if (this.is(',')) { this.next(); second = this.parseTermRelation(); }
    if (this.is('in', 'ident')) {
      this.next();
      const domain = this.parseTermRelation();
      return second ? { kind: 'somein', key: first, value: second, domain } : { kind: 'somein', key: undefined, value: first, domain };
    }
    const vars = [first, ...(second ? [second] : [])];
    while (this.is(',')) { this.next(); vars.push(this.parseTermRelation()); }
    return {
      kind: 'somedecl',
      vars: vars.map((v) => (v.type === 'var' ? v.name : this.fail('expected var in some declaration'))),
    };
  }

  private parseEvery(): ExprKind {
    this.next();
    const first = this.parseTermRelation();
    let second: Term | undefined;
    if (this.is(',')) { this.next(); second = this.parseTermRelation(); }
    this.expect('in', 'ident');
    const domain = this.parseTermRelation();
    this.expect('{');
    const body = this.parseBody('}');
    this.expect('}');
    return second ? { kind: 'every', key: first, value: second, domain, body } : { kind: 'every', key: undefined, value: first, domain, body };
  }

  /** `allowPair`: `k, v in coll` (member_3) is allowed here (literal level or inside parentheses). */
  parseTermIn(allowPair = false): Term {
    let left = this.parseTermRelation();
    if (allowPair && this.is(',')) {
      const save = this.i;
      this.next();
      const value = this.parseTermRelation();
      if (this.is('in', 'ident')) {
        this.next();
        left = { type: 'call', op: 'internal.member_3', args: [left, value, this.parseTermRelation()] };
      } else this.i = save;
    }
    while (this.is('in', 'ident') && this.cont()) {
      this.next();
      left = { type: 'call', op: 'internal.member_2', args: [left, this.parseTermRelation()] };
    }
    return left;
  }

  parseTermRelation(): Term {
    let left = this.parseBinary(0);
    while (this.tok.kind === 'op' && RELATIONS[this.tok.text] !== undefined && this.cont()) {
      const t = this.next();
      left = { type: 'call', op: RELATIONS[t.text] as string, args: [left, this.parseBinary(0)], loc: this.loc(t) };
    }
    return left;
  }

  private static readonly LEVELS: readonly Readonly<Record<string, string>>[] = [
    { '|': 'or' }, { '&': 'and' }, { '+': 'plus', '-': 'minus' }, { '*': 'mul', '/': 'div', '%': 'rem' },
  ];

  private parseBinary(level: number): Term {
    const ops = ExprParser.LEVELS[level];
    if (!ops) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    while (this.tok.kind === 'op' && ops[this.tok.text] !== undefined && this.cont() && !(this.tok.text === '|' && this.parens === this.barStop)) {
      const t = this.next();
      left = { type: 'call', op: ops[t.text] as string, args: [left, this.parseBinary(level + 1)], loc: this.loc(t) };
    }
    return left;
  }

  private parseUnary(): Term {
    if (this.is('-') && this.peek().kind === 'number' && !this.peek().nl) {
      this.next();
      const t = this.next();
      const lit = numberLiteral('-' + t.text);
      return this.postfix(typeof lit === 'number' ? scalar(lit) : { type: 'value', value: lit });
    }
    if (this.is('-')) {
      const t = this.next();
      return { type: 'call', op: 'minus', args: [scalar(0), this.parseUnary()], loc: this.loc(t) };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Term {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nested deeper than ${MAX_DEPTH}`);
    try {
      const t = this.tok;
      switch (t.kind) {
        case 'number': {
          this.next();
          const lit = numberLiteral(t.text);
          return this.postfix(typeof lit === 'number' ? scalar(lit) : { type: 'value', value: lit });
        }
        case 'string': this.next(); return this.postfix(scalar(t.str ?? ''));
        case 'ident': return this.parseIdent();
        case 'op':
          if (t.text === '[') return this.postfix(this.parseArray());
          if (t.text === '{') return this.postfix(this.parseBrace());
          if (t.text === '(') {
            this.next();
            this.parens++;
            const inner = this.parseTermIn(true);
            this.parens--;
            this.expect(')');
            return this.postfix(inner);
          }
          break;
        default: break;
      }
      return this.fail(`unexpected ${this.describe(t)}`);
    } finally {
      this.depth--;
    }
  }

  private parseIdent(): Term {
    const t = this.next();
    if (t.text === 'true' || t.text === 'false') return scalar(t.text === 'true');
    if (t.text === 'null') return scalar(null);
    if (t.text === 'set' && this.is('(') && this.peek().text === ')') { this.next(); this.next(); return { type: 'set', items: [] }; }
    return this.postfix(vr(t.text), t);
  }

  /** Ref segments `.x`, `[t]` and calls `f(args)` following a term. */
  protected postfix(head: Term, startTok?: Token): Term {
    let path: Term[] = [];
    let base = head;
    for (;;) {
      if (this.is('.') && !this.tok.nl && this.peek().kind === 'ident') { this.next(); path.push(scalar(this.next().text)); continue; }
      if (this.is('[') && !this.tok.nl) {
        this.next();
        this.parens++;
        const saved = this.parens;
        const key = this.parseTermIn();
        this.parens = saved - 1;
        this.expect(']');
        path.push(key);
        continue;
      }
      if (this.is('(') && !this.tok.nl) {
        const name = this.dottedName(base, path);
        if (name === undefined) this.fail('invalid function call target');
        const open = this.next();
        const args = this.parseList(')');
        base = { type: 'call', op: name, args, loc: this.loc(startTok ?? open) };
        path = [];
        continue;
      }
      break;
    }
    return path.length === 0 ? base : { type: 'ref', head: base, path };
  }

  private dottedName(head: Term, path: readonly Term[]): string | undefined {
    if (head.type !== 'var') return undefined;
    const parts = [head.name];
    for (const p of path) {
      if (p.type !== 'scalar' || typeof p.value !== 'string') return undefined;
      parts.push(p.value);
    }
    return parts.join('.');
  }

  private parseList(close: string): Term[] {
    this.parens++;
    const items: Term[] = [];
    while (!this.is(close)) {
      items.push(this.parseTermIn());
      if (!this.is(',')) break;
      this.next();
    }
    this.parens--;
    this.expect(close);
    return items;
  }

  /** The first term of `[...]` or `{...}`, where a top-level `|` starts a comprehension body. */
  private headTerm(): Term {
    const saved = this.barStop;
    this.barStop = this.parens;
    try { return this.parseTermIn(); } finally { this.barStop = saved; }
  }

  private parseArray(): Term {
    this.next();
    if (this.is(']')) { this.next(); return { type: 'array', items: [] }; }
    this.parens++;
    const first = this.headTerm();
    this.parens--;
    if (this.is('|')) {
      const body = this.comprehensionBody(']');
      return { type: 'arraycomp', term: first, body };
    }
    if (this.is(',')) { this.next(); return { type: 'array', items: [first, ...this.parseList(']')] }; }
    this.expect(']');
    return { type: 'array', items: [first] };
  }

  /** After `|`: the comprehension body up to `close` (parenthesis depth reset inside, restored after), and `close`. */
  private comprehensionBody(close: ']' | '}'): Body {
    this.next();
    const saved = this.parens;
    this.parens = 0;
    const body = this.parseBody(close);
    this.parens = saved;
    this.expect(close);
    return body;
  }

  private parseBrace(): Term {
    this.next();
    if (this.is('}')) { this.next(); return { type: 'object', items: [] }; }
    this.parens++;
    const first = this.headTerm();
    if (this.is(':')) {
      this.next();
      const value = this.headTerm();
      this.parens--;
      if (this.is('|')) {
        const body = this.comprehensionBody('}');
        return { type: 'objectcomp', key: first, value, body };
      }
      const items: [Term, Term][] = [[first, value]];
      this.parens++;
      while (this.is(',')) {
        this.next();
        if (this.is('}')) break;
        const k = this.parseTermIn();
        this.expect(':');
        items.push([k, this.parseTermIn()]);
      }
      this.parens--;
      this.expect('}');
      return { type: 'object', items };
    }
    this.parens--;
    if (this.is('|')) {
      const body = this.comprehensionBody('}');
      return { type: 'setcomp', term: first, body };
    }
    if (this.is(',')) { this.next(); return { type: 'set', items: [first, ...this.parseList('}')] }; }
    this.expect('}');
    return { type: 'set', items: [first] };
  }
}
