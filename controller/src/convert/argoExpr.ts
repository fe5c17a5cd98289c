/**
 * Argo's successCondition / failureCondition are expr-lang expressions over `result`; Sluice's are CEL over
 * `result`. This translates the forms Argo's documentation and most templates use, and refuses the rest (the
 * caller drops the condition, quoting it) rather than guessing.
 *
 * The one difference in `result` that matters: for a Prometheus vector Argo's result is always a list, even of
 * one value, while Sluice's is a number for one value and a list for several (analysis/condition.ts). So Argo's
 * `result[0]` becomes `(type(result) == list ? result[0] : result)`, `len(result)` counts a lone number as one,
 * and all()/any() run over `[result]` when result is a number. A scalar query gives a number in both.
 * Numbers are written as CEL doubles next to a measured value: CEL compares int with double but does not
 * multiply them.
 */

export class UntranslatableError extends Error {}

type Token = { kind: 'num' | 'str' | 'id' | 'op'; text: string };

const operators = ['||', '&&', '==', '!=', '<=', '>=', '**', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')'];
const punctuation = ['[', ']', ',', '{', '}', '#', '.', '?', ':'];

const lexemes: [Token['kind'], RegExp][] = [
  ['num', /^(\d+\.?\d*(e[+-]?\d+)?|\.\d+)/i],
  ['id', /^[A-Za-z_][A-Za-z0-9_]*/],
  ['str', /^("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/],
];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const found = lexemes.map(([kind, pattern]) => [kind, pattern.exec(rest)?.[0]] as const).find(([, t]) => t);
    const op = [...operators, ...punctuation].find((o) => rest.startsWith(o));
    const token: Token | undefined = found
      ? { kind: found[0], text: found[1]! }
      : op === undefined
        ? undefined
        : { kind: 'op', text: op };
    if (token === undefined)
      throw new UntranslatableError(`it has a character CEL translation does not know: ${JSON.stringify(rest[0])}`);
    tokens.push(token);
    i += token.text.length;
  }
  return tokens;
}

/**
 * A translated sub-expression: its CEL text, its type, and its precedence (for parentheses). `number` is a
 * measured value or arithmetic on one (a CEL double), `int` a count (size), `literal` a number as written
 * (it takes the type of the other side), `list` Argo's result as a whole.
 */
interface Node {
  cel: string;
  type: 'number' | 'int' | 'literal' | 'bool' | 'string' | 'list';
  prec: number;
  /** For a literal: its value, written as the other side needs it. */
  value?: number;
}

const binary: Record<string, { prec: number; cel: string }> = {
  or: { prec: 10, cel: '||' },
  '||': { prec: 10, cel: '||' },
  and: { prec: 15, cel: '&&' },
  '&&': { prec: 15, cel: '&&' },
  '==': { prec: 20, cel: '==' },
  '!=': { prec: 20, cel: '!=' },
  '<': { prec: 20, cel: '<' },
  '>': { prec: 20, cel: '>' },
  '<=': { prec: 20, cel: '<=' },
  '>=': { prec: 20, cel: '>=' },
  '+': { prec: 30, cel: '+' },
  '-': { prec: 30, cel: '-' },
  '*': { prec: 60, cel: '*' },
  '/': { prec: 60, cel: '/' },
};

const atom = 100;
const resultList = '(type(result) == list ? result : [result])';
const firstResult = '(type(result) == list ? result[0] : result)';

/** Bare `result` counts as a number too: a scalar query gives one in both tools. */
const numeric = (n: Node) => ['number', 'int', 'literal', 'list'].includes(n.type);

/** A literal written as a double (1 -> 1.0), or as an int next to a count. */
function numberText(node: Node, asInt: boolean): string {
  if (node.type !== 'literal') return node.cel;
  const value = node.value!;
  if (asInt && Number.isInteger(value)) return String(value);
  const text = String(value);
  return /[.e]/i.test(text) ? text : `${text}.0`;
}

class Translator {
  private at = 0;
  /** Inside all()/any(): what `#` stands for. */
  private element: string | undefined;

  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  translate(): string {
    const node = this.expression(0);
    if (this.at < this.tokens.length) this.fail(`unexpected ${JSON.stringify(this.tokens[this.at]!.text)}`);
    if (node.type !== 'bool') this.fail('it does not give true or false');
    return node.cel;
  }

  private fail(why: string): never {
    throw new UntranslatableError(why);
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private expect(text: string): void {
    if (this.peek()?.text !== text) this.fail(`expected ${JSON.stringify(text)}`);
    this.at++;
  }

  /** expr-lang's precedence climbing: unary not/! binds tighter than comparisons, as in expr-lang itself. */
  private expression(min: number): Node {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      const op = token === undefined ? undefined : binary[token.text];
      if (token === undefined || (token.kind === 'id' && !['and', 'or'].includes(token.text))) break;
      if (op === undefined) {
        if ([')', ']', ',', '}'].includes(token.text)) break;
        this.fail(`the operator ${JSON.stringify(token.text)} has no CEL translation here`);
      }
      if (op.prec < min) break;
      this.at++;
      const right = this.expression(op.prec + 1);
      left = this.combine(left, op, right);
    }
    return left;
  }

  private combine(left: Node, op: { prec: number; cel: string }, right: Node): Node {
    const wrap = (n: Node, strict: boolean) =>
      n.prec < op.prec || (strict && n.prec === op.prec) ? `(${n.cel})` : n.cel;
    if (op.prec <= 15) {
      if (left.type !== 'bool' || right.type !== 'bool') this.fail(`${op.cel} needs true or false on both sides`);
      return { cel: `${wrap(left, false)} ${op.cel} ${wrap(right, true)}`, type: 'bool', prec: op.prec };
    }
    if (numeric(left) && numeric(right)) {
      const asInt = left.type === 'int' || right.type === 'int';
      const l = { ...left, cel: numberText(left, asInt) };
      const r = { ...right, cel: numberText(right, asInt) };
      const cel = `${wrap(l, false)} ${op.cel} ${wrap(r, true)}`;
      if (op.prec === 20) return { cel, type: 'bool', prec: op.prec };
      if (left.type === 'literal' && right.type === 'literal') this.fail('arithmetic on two constants');
      if (op.cel === '/' && asInt) this.fail('integer division differs between expr-lang and CEL');
      return { cel, type: asInt ? 'int' : 'number', prec: op.prec };
    }
    const comparable = left.type === right.type && (left.type === 'string' || left.type === 'bool');
    if (comparable && (op.cel === '==' || op.cel === '!='))
      return { cel: `${wrap(left, false)} ${op.cel} ${wrap(right, true)}`, type: 'bool', prec: op.prec };
    if (comparable && left.type === 'string' && op.prec === 20)
      return { cel: `${wrap(left, false)} ${op.cel} ${wrap(right, true)}`, type: 'bool', prec: op.prec };
    return this.fail(`${op.cel} between ${left.type} and ${right.type} has no faithful CEL translation`);
  }

  private unary(): Node {
    const token = this.peek();
    if (token?.text === 'not' || token?.text === '!') {
      this.at++;
      const operand = this.expression(50);
      if (operand.type !== 'bool') this.fail('not needs true or false');
      return { cel: `!${operand.prec < atom ? `(${operand.cel})` : operand.cel}`, type: 'bool', prec: atom };
    }
    if (token?.text === '-') {
      this.at++;
      const operand = this.expression(90);
      if (operand.type === 'literal') return { ...operand, cel: `-${operand.cel}`, value: -operand.value! };
      if (!numeric(operand)) this.fail('minus needs a number');
      return { cel: `-${operand.prec < atom ? `(${operand.cel})` : operand.cel}`, type: operand.type, prec: atom };
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.peek();
    if (token === undefined) return this.fail('it ends too early');
    this.at++;
    if (token.kind === 'num') {
      const value = Number(token.text);
      // 1e999 reads as Infinity, which CEL has no literal for.
      if (!Number.isFinite(value)) this.fail(`the number ${token.text} is too large for CEL`);
      return { cel: token.text, type: 'literal', prec: atom, value };
    }
    if (token.kind === 'str') {
      const body = token.text.slice(1, -1);
      if (body.includes('\\')) this.fail('strings with escapes are not translated');
      return { cel: JSON.stringify(body), type: 'string', prec: atom };
    }
    if (token.text === '(') {
      const inner = this.expression(0);
      this.expect(')');
      return { ...inner, cel: inner.prec < atom ? `(${inner.cel})` : inner.cel, prec: atom };
    }
    if (token.text === '#') {
      if (this.element === undefined) this.fail('# outside all() or any()');
      return { cel: this.element, type: 'number', prec: atom };
    }
    if (token.text === 'true' || token.text === 'false') return { cel: token.text, type: 'bool', prec: atom };
    if (token.text === 'result') return this.result();
    if (token.kind === 'id' && this.peek()?.text === '(') return this.call(token.text);
    return this.fail(`${JSON.stringify(token.text)} has no CEL translation`);
  }

  /** `result`, or `result[N]`. */
  private result(): Node {
    if (this.peek()?.text !== '[') return { cel: 'result', type: 'list', prec: atom };
    this.at++;
    const index = this.peek();
    // Up to 6 digits: a larger index names no series, and past 2^63 CEL does not compile it.
    if (index?.kind !== 'num' || !/^\d{1,6}$/.test(index.text))
      this.fail('result is indexed by a constant whole number only');
    this.at++;
    this.expect(']');
    if (['[', '.'].includes(this.peek()?.text ?? '')) this.fail('result[N] holds a number: nothing to index further');
    return { cel: index.text === '0' ? firstResult : `result[${index.text}]`, type: 'number', prec: atom };
  }

  private call(name: string): Node {
    this.expect('(');
    if (name === 'len' || name === 'isNaN') {
      const arg = this.expression(0);
      this.expect(')');
      if (name === 'len') {
        if (arg.cel !== 'result') this.fail('len() is translated for result only');
        return { cel: '(type(result) == list ? size(result) : 1)', type: 'int', prec: atom };
      }
      // NaN is the one value that differs from itself.
      if (arg.type !== 'number') this.fail('isNaN() needs a measured number');
      return { cel: `${arg.cel} != ${arg.cel}`, type: 'bool', prec: 20 };
    }
    const macros: Record<string, string> = { all: 'all', any: 'exists', none: 'none', one: 'exists_one' };
    // Own keys only: constructor() or toString() must not find Object.prototype's.
    const macro = Object.hasOwn(macros, name) ? macros[name] : undefined;
    if (macro === undefined) this.fail(`the function ${name}() has no CEL translation`);
    const target = this.expression(0);
    if (target.cel !== 'result') this.fail(`${name}() is translated over result only`);
    this.expect(',');
    if (this.element !== undefined) this.fail(`${name}() inside another all() or any()`);
    const braced = this.peek()?.text === '{';
    if (braced) this.at++;
    this.element = 'x';
    const predicate = this.expression(0);
    this.element = undefined;
    if (braced) this.expect('}');
    this.expect(')');
    if (predicate.type !== 'bool') this.fail(`the predicate of ${name}() does not give true or false`);
    const cel =
      macro === 'none' ? `!${resultList}.exists(x, ${predicate.cel})` : `${resultList}.${macro}(x, ${predicate.cel})`;
    return { cel, type: 'bool', prec: macro === 'none' ? atom : atom };
  }
}

/** The CEL form of an Argo condition; throws UntranslatableError saying why it cannot be translated faithfully. */
export function argoConditionToCel(expression: string): string {
  if (expression.length > 1024) throw new UntranslatableError('it is longer than the 1024 characters Sluice takes');
  return new Translator(tokenize(expression)).translate();
}
