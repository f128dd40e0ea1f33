/**
 * A SMALL RENDERER FOR THE GO-TEMPLATE SUBSET OF charts/signgate, not Helm: no helm binary exists here, and tests
 * must see the manifests the chart really produces (a Deployment's args, the Assigns' excluded namespaces) rather
 * than guess them with regular expressions. It implements exactly what the rendered templates use, and throws on
 * anything else (an unknown function, keyword or syntax), so a template that grows a construct this file does not know
 * fails the test instead of rendering wrongly:
 * - text/template: `{{ }}` with `{{-`/`-}}` trimming, comments, `if`/`else if`/`else`, `with`, `range` (lists and
 *   maps, `$v :=` and `$i, $v :=`), `define`, variables (`$x :=`, `$x =`, `$`), pipelines, parenthesised commands,
 *   field chains on `.`, variables and parentheses, method calls (`.Files.Get`), `and`/`or`/`not`/`eq`/`ne`,
 *   `index`, `len`, `printf` (%s %d %v %q);
 * - Helm and sprig functions: include, required, toYaml, fromYaml, fromJsonArray, toJson, quote, default, empty, nindent, indent,
 *   trunc, trimSuffix, contains, replace, list, append, concat, uniq, dict, set, hasKey, join, splitList, int, b64enc,
 *   sha256sum.
 * Helm's output conventions are kept: a missing value prints as nothing, toYaml drops its final newline.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';

type Value = unknown;
type Fn = (...args: Value[]) => Value;

/** Go's variable scopes: `:=` declares in the innermost block, `=` assigns where the variable was declared. */
class Scope {
  private readonly vars = new Map<string, Value>();
  constructor(private readonly parent?: Scope) {}
  child(): Scope {
    return new Scope(this);
  }
  get(name: string): Value {
    if (this.vars.has(name)) return this.vars.get(name);
    if (this.parent) return this.parent.get(name);
    throw new TemplateError(`undefined variable ${name}`);
  }
  declare(name: string, v: Value): this {
    this.vars.set(name, v);
    return this;
  }
  assign(name: string, v: Value): void {
    if (this.vars.has(name)) this.vars.set(name, v);
    else if (this.parent) this.parent.assign(name, v);
    else throw new TemplateError(`undefined variable ${name}`);
  }
}

interface Text {
  readonly type: 'text';
  readonly text: string;
}
interface Action {
  readonly type: 'action';
  readonly pipe: Pipe;
}
interface Branch {
  readonly type: 'if' | 'with';
  readonly pipe: Pipe;
  readonly then: Node[];
  readonly otherwise: Node[];
}
interface Range {
  readonly type: 'range';
  readonly pipe: Pipe;
  readonly body: Node[];
  readonly otherwise: Node[];
}
type Node = Text | Action | Branch | Range;

interface Pipe {
  readonly decl?: { readonly names: readonly string[]; readonly assign: boolean };
  readonly cmds: readonly Token[][];
}
type Token =
  | { readonly t: 'str' | 'num' | 'ident' | 'field' | 'var'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'nil' }
  | { readonly t: 'paren'; readonly pipe: Pipe; readonly fields: readonly string[] };

export class TemplateError extends Error {}

/** `{{ ... }}` pieces with Go's trim markers applied; comments dropped. */
function split(source: string, name: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    let text = open < 0 ? source.slice(i) : source.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      out.push({ text });
      break;
    }
    const close = source.indexOf('}}', open);
    if (close < 0) throw new TemplateError(`${name}: unclosed action`);
    let inner = source.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    out.push({ text });
    inner = inner.trim();
    if (!(inner.startsWith('/*') && inner.endsWith('*/'))) out.push({ action: inner });
    i = close + 2;
  }
  return out;
}

const GLUED = '\u0000';

function lex(src: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|:=|[()|,=]|[^\s()|,=]+)/gy;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null && m[1] !== undefined) {
    // a field chain written right after ")" selects from the parenthesised value: (x).Field
    tokens.push(m[1].startsWith('.') && src[re.lastIndex - m[1].length - 1] === ')' ? `${GLUED}${m[1]}` : m[1]);
    end = re.lastIndex;
  }
  if (src.slice(end).trim() !== '') throw new TemplateError(`cannot read "${src}" after "${src.slice(0, end)}"`);
  return tokens;
}

function parsePipe(tokens: string[], pos: { i: number }, inParen: boolean): Pipe {
  let decl: Pipe['decl'];
  const names: string[] = [];
  let j = pos.i;
  while (tokens[j]?.startsWith('$') && (tokens[j + 1] === ',' || tokens[j + 1] === ':=' || tokens[j + 1] === '=')) {
    names.push(tokens[j] as string);
    if (tokens[j + 1] === ',') j += 2;
    else {
      decl = { names, assign: tokens[j + 1] === '=' };
      pos.i = j + 2;
      break;
    }
  }
  const cmds: Token[][] = [[]];
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i++] as string;
    if (tok === ')') {
      if (!inParen) throw new TemplateError('unexpected ")"');
      return { ...(decl ? { decl } : {}), cmds };
    }
    if (tok === '|') {
      cmds.push([]);
      continue;
    }
    (cmds[cmds.length - 1] as Token[]).push(operand(tok, tokens, pos));
  }
  if (inParen) throw new TemplateError('unclosed "("');
  return { ...(decl ? { decl } : {}), cmds };
}

function operand(tok: string, tokens: string[], pos: { i: number }): Token {
  if (tok === '(') {
    const pipe = parsePipe(tokens, pos, true);
    const next = tokens[pos.i];
    const fields = next !== undefined && next.startsWith(GLUED) ? (pos.i++, next.slice(2).split('.')) : [];
    return { t: 'paren', pipe, fields };
  }
  if (tok.startsWith('"')) return { t: 'str', v: JSON.parse(tok) as string };
  if (tok.startsWith('`')) return { t: 'str', v: tok.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(tok)) return { t: 'num', v: tok };
  if (tok === 'true' || tok === 'false') return { t: 'bool', v: tok === 'true' };
  if (tok === 'nil') return { t: 'nil' };
  if (tok.startsWith('.')) return { t: 'field', v: tok };
  if (tok.startsWith('$')) return { t: 'var', v: tok };
  if (/^[A-Za-z_]\w*$/.test(tok)) return { t: 'ident', v: tok };
  throw new TemplateError(`unsupported token "${tok}"`);
}

function pipeOf(src: string): Pipe {
  return parsePipe(lex(src), { i: 0 }, false);
}

/** Parses one file; `define` blocks go into `defines`. */
function parseNodes(source: string, name: string, defines: Map<string, Node[]>): Node[] {
  const pieces = split(source, name);
  let k = 0;
  const block = (enders: readonly string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (k < pieces.length) {
      const p = pieces[k++] as { text: string } | { action: string };
      if ('text' in p) {
        if (p.text !== '') nodes.push({ type: 'text', text: p.text });
        continue;
      }
      const [word = '', ...rest] = p.action.split(/\s+/);
      const tail = rest.join(' ');
      if (enders.includes(word) || (word === 'else' && enders.includes('else'))) return { nodes, end: p.action };
      if (word === 'if' || word === 'with') nodes.push(branch(word, tail));
      else if (word === 'range') {
        const body = block(['end', 'else']);
        const otherwise = body.end === 'else' ? block(['end']).nodes : [];
        nodes.push({ type: 'range', pipe: pipeOf(tail), body: body.nodes, otherwise });
      } else if (word === 'define') {
        defines.set(JSON.parse(tail) as string, block(['end']).nodes);
      } else if (['template', 'block', 'break', 'continue'].includes(word)) {
        throw new TemplateError(`${name}: "${word}" is not supported by this renderer`);
      } else nodes.push({ type: 'action', pipe: pipeOf(p.action) });
    }
    if (enders.length > 0) throw new TemplateError(`${name}: missing {{ end }}`);
    return { nodes, end: '' };
  };
  const branch = (type: 'if' | 'with', tail: string): Branch => {
    const then = block(['end', 'else']);
    let otherwise: Node[] = [];
    if (then.end === 'else') otherwise = block(['end']).nodes;
    else if (then.end.startsWith('else if ')) otherwise = [branch('if', then.end.slice('else if '.length))];
    else if (then.end !== 'end') throw new TemplateError(`${name}: unsupported "${then.end}"`);
    return { type, pipe: pipeOf(tail), then: then.nodes, otherwise };
  };
  return block([]).nodes;
}

export function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function print(v: Value): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') throw new TemplateError(`cannot print ${JSON.stringify(v)} without toYaml/toJson`);
  return String(v);
}

function field(base: Value, path: readonly string[], what: string): Value {
  let v = base;
  for (const part of path) {
    if (part === '') continue;
    if (v === undefined || v === null) throw new TemplateError(`nil pointer evaluating ${what}`);
    v = (v as Record<string, Value>)[part];
  }
  return v;
}

const indent = (n: number, s: string): string =>
  s
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

function sprintf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([sdvq%])/g, (_m, c: string) => (c === '%' ? '%' : c === 'q' ? JSON.stringify(print(args[i++])) : print(args[i++])));
}

export interface ChartContext {
  readonly Values: Record<string, unknown>;
  readonly Release: { readonly Name: string; readonly Namespace: string; readonly Service: string };
  readonly Chart: Record<string, unknown>;
  readonly Files: { Get(path: string): string };
}

/** A chart's templates: `render(file, context)` gives a template's text as Helm would. */
export class ChartTemplates {
  private readonly defines = new Map<string, Node[]>();
  private readonly files = new Map<string, Node[]>();
  private readonly functions: Record<string, Fn>;

  /** `sources`: file name -> template text (helpers first, so that their defines exist). */
  constructor(sources: Readonly<Record<string, string>>) {
    for (const [name, text] of Object.entries(sources)) this.files.set(name, parseNodes(text, name, this.defines));
    this.functions = {
      include: (name, data) => {
        const body = this.defines.get(String(name));
        if (!body) throw new TemplateError(`include: no template "${String(name)}"`);
        return this.exec(body, data, new Scope().declare('$', data));
      },
      required: (msg, v) => {
        if (!truthy(v)) throw new TemplateError(String(msg));
        return v;
      },
      toYaml: (v) => (v === undefined || v === null ? 'null' : stringifyYaml(v, { lineWidth: 0 }).replace(/\n$/, '')),
      fromYaml: (s) => (parseYaml(String(s)) as Value) ?? {},
      // Helm: a JSON array, or a list holding the error message when the text is not one
      fromJsonArray: (s) => {
        try {
          const v: unknown = JSON.parse(String(s));
          return Array.isArray(v) ? v : [`error: not a JSON array: ${String(s)}`];
        } catch (e) {
          return [`error: ${(e as Error).message}`];
        }
      },
      toJson: (v) => JSON.stringify(v ?? null),
      quote: (...xs) => xs.map((x) => JSON.stringify(print(x))).join(' '),
      default: (d, v) => (truthy(v) ? v : d),
      empty: (v) => !truthy(v),
      nindent: (n, s) => `\n${indent(Number(n), print(s))}`,
      indent: (n, s) => indent(Number(n), print(s)),
      trunc: (n, s) => print(s).slice(0, Number(n)),
      trimSuffix: (suffix, s) => (print(s).endsWith(String(suffix)) ? print(s).slice(0, -String(suffix).length || undefined) : print(s)),
      contains: (sub, s) => print(s).includes(String(sub)),
      replace: (from, to, s) => print(s).split(String(from)).join(String(to)),
      list: (...xs) => xs,
      append: (l, x) => [...(l as Value[]), x],
      concat: (...ls) => (ls as Value[][]).flat(),
      uniq: (l) => [...new Set(l as Value[])],
      dict: (...kv) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_x, i) => [String(kv[2 * i]), kv[2 * i + 1]])),
      set: (d, k, v) => {
        (d as Record<string, Value>)[String(k)] = v;
        return d;
      },
      hasKey: (d, k) => Object.hasOwn(d as object, String(k)),
      join: (sep, l) => (l as Value[]).map(print).join(String(sep)),
      splitList: (sep, s) => print(s).split(String(sep)),
      int: (v) => Math.trunc(Number(v)),
      b64enc: (s) => Buffer.from(print(s)).toString('base64'),
      sha256sum: (s) => createHash('sha256').update(print(s)).digest('hex'),
      printf: (f, ...args) => sprintf(String(f), args),
      eq: (a, ...bs) => bs.some((b) => a === b),
      ne: (a, b) => a !== b,
      not: (v) => !truthy(v),
      and: (...xs) => xs.find((x) => !truthy(x)) ?? xs[xs.length - 1],
      or: (...xs) => xs.find((x) => truthy(x)) ?? xs[xs.length - 1],
      index: (v, ...keys) => keys.reduce((acc, k) => (acc as Record<string, Value> | undefined)?.[String(k)], v),
      len: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : Object.keys(v as object).length),
    };
  }

  render(file: string, context: ChartContext): string {
    const nodes = this.files.get(file);
    if (!nodes) throw new TemplateError(`no template file ${file}`);
    return this.exec(nodes, context, new Scope().declare('$', context));
  }

  private exec(nodes: readonly Node[], dot: Value, vars: Scope): string {
    let out = '';
    for (const node of nodes) {
      if (node.type === 'text') out += node.text;
      else if (node.type === 'action') {
        const v = this.pipe(node.pipe, dot, vars);
        if (!node.pipe.decl) out += print(v);
      } else if (node.type === 'if' || node.type === 'with') {
        const inner = vars.child();
        const v = this.pipe(node.pipe, dot, inner);
        if (truthy(v)) out += this.exec(node.then, node.type === 'with' ? v : dot, inner);
        else out += this.exec(node.otherwise, dot, vars.child());
      } else if (node.type === 'range') {
        const v = this.pipe({ cmds: node.pipe.cmds }, dot, vars);
        const entries: [Value, Value][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : truthy(v) ? Object.keys(v as object).sort().map((k) => [k, (v as Record<string, Value>)[k]]) : [];
        if (entries.length === 0) out += this.exec(node.otherwise, dot, vars.child());
        for (const [key, element] of entries) {
          const names = node.pipe.decl?.names ?? [];
          const scope = vars.child();
          if (names.length === 1) scope.declare(names[0] as string, element);
          if (names.length === 2) scope.declare(names[0] as string, key).declare(names[1] as string, element);
          out += this.exec(node.body, element, scope);
        }
      }
    }
    return out;
  }

  private pipe(pipe: Pipe, dot: Value, vars: Scope): Value {
    let result: Value;
    pipe.cmds.forEach((cmd, i) => {
      result = this.command(cmd, dot, vars, i === 0 ? [] : [result]);
    });
    const [name] = pipe.decl?.names ?? [];
    if (pipe.decl && name !== undefined) {
      if (pipe.decl.names.length !== 1) throw new TemplateError('only range declares two variables');
      if (pipe.decl.assign) vars.assign(name, result);
      else vars.declare(name, result);
    }
    return result;
  }

  private command(cmd: readonly Token[], dot: Value, vars: Scope, piped: Value[]): Value {
    const [head, ...rest] = cmd;
    if (head === undefined) throw new TemplateError('empty command');
    const args = (): Value[] => [...rest.map((t) => this.operand(t, dot, vars)), ...piped];
    if (head.t === 'ident') {
      const fn = this.functions[head.v];
      if (!fn) throw new TemplateError(`function "${head.v}" is not supported by this renderer`);
      return fn(...args());
    }
    const v = this.operand(head, dot, vars);
    if (typeof v === 'function') return (v as Fn)(...args());
    if (rest.length > 0 || piped.length > 0) throw new TemplateError(`cannot give arguments to a non-function`);
    return v;
  }

  private operand(t: Token, dot: Value, vars: Scope): Value {
    switch (t.t) {
      case 'str':
        return t.v;
      case 'num':
        return Number(t.v);
      case 'bool':
        return t.v;
      case 'nil':
        return null;
      case 'field': {
        const path = t.v.split('.').slice(1);
        const method = path.length >= 2 ? field(dot, path.slice(0, -1), t.v) : dot;
        const v = field(dot, path, t.v);
        return typeof v === 'function' ? (v as Fn).bind(method) : v;
      }
      case 'var': {
        const [name = '', ...path] = t.v.split('.');
        return field(vars.get(name), path, t.v);
      }
      case 'paren':
        return field(this.pipe(t.pipe, dot, vars), t.fields, 'a parenthesised value');
      case 'ident':
        return this.command([t], dot, vars, []);
    }
  }
}

function merge(base: Value, patch: Value): Value {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, Value> = { ...(base as Record<string, Value>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

export interface Release {
  readonly name: string;
  readonly namespace: string;
  /** Merged over values.yaml, as `helm install -f`/`--set` would. */
  readonly values?: Record<string, unknown>;
}

/**
 * A chart folder read like `helm template`: Chart.yaml, values.yaml, templates/*.tpl and the templates named in
 * `files` (only those: a template using a construct this renderer lacks is not loaded unless asked for), files for
 * `.Files.Get`. `render(file)` gives the text, `documents(file)` its YAML documents (empty ones dropped).
 */
export function loadChart(dir: string, release: Release, files: readonly string[]): { render(file: string): string; documents(file: string): Record<string, unknown>[] } {
  const read = (path: string): string => readFileSync(join(dir, path), 'utf8');
  const chart = parseYaml(read('Chart.yaml')) as Record<string, unknown>;
  const values = merge(parseYaml(read('values.yaml')), release.values ?? {}) as Record<string, unknown>;
  const helpers = readdirSync(join(dir, 'templates')).filter((f) => f.endsWith('.tpl'));
  const sources: Record<string, string> = {};
  for (const name of [...helpers, ...files]) sources[name] = read(join('templates', name));
  const fileCache = new Map<string, string>();
  const templates = new ChartTemplates(sources);
  const context: ChartContext = {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Files: {
      Get(path: string): string {
        if (!fileCache.has(path)) fileCache.set(path, read(path));
        return fileCache.get(path) ?? '';
      },
    },
  };
  const render = (file: string): string => templates.render(file, context);
  return {
    render,
    documents: (file) =>
      parseAllDocuments(render(file))
        .map((d) => {
          if (d.errors.length > 0) throw new TemplateError(`${file}: rendered YAML is invalid: ${d.errors.map((e) => e.message).join('; ')}`);
          return d.toJS() as unknown;
        })
        .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null),
  };
}
