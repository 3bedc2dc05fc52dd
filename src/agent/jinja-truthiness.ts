/**
 * Jinja2 (Python) truthiness for nunjucks templates (cam-api.md §5). nunjucks tests conditions
 * with JavaScript truthiness, in which `[]` and `{}` are true; in Jinja2 they are false, and CAM
 * box scripts rely on it: `{% if binding %}` with no bound instance takes the else branch.
 *
 * nunjucks has no hook for this, so its compiler is taught it: the conditions of `if`/`elif`,
 * inline `x if c else y` and `not`, and the operands of `and`/`or`, go through `jinjaTruthy`.
 * `and`/`or` keep Python's semantics: they return an operand, and the right one is evaluated only
 * when needed. Installed once per process, for every nunjucks environment (the agent has one).
 */
import nunjucks from 'nunjucks';

/** Python's `bool(v)` for the values a template context holds. */
export function jinjaTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof nunjucks.runtime.SafeString) return String(value) !== '';
  if (typeof value === 'object' && value !== null) {
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null ? Object.keys(value).length > 0 : true;
  }
  return Boolean(value);
}

/* nunjucks' compiler and node classes are untyped internals. */

type Node = any;
interface Compiler {
  _emit(code: string): void;
  _tmpid(): string;
  compile(node: Node, frame: unknown): void;
}

let installed = false;

export function installJinjaTruthiness(): void {
  if (installed) return;
  installed = true;
  const lib = nunjucks as any;
  lib.runtime.jinjaTruthy = jinjaTruthy;
  // A Group subclass, so that the compiler's expression type checks accept it.
  const Truthy = lib.nodes.Group.extend('JinjaTruthy');
  const wrap = (node: Node): Node => (node instanceof Truthy ? node : new Truthy(node.lineno, node.colno, [node]));
  const proto = lib.compiler.Compiler.prototype;

  proto.compileJinjaTruthy = function (this: Compiler, node: Node, frame: unknown) {
    this._emit('runtime.jinjaTruthy(');
    this.compile(node.children[0], frame);
    this._emit(')');
  };
  const compileIf = proto.compileIf;
  proto.compileIf = function (this: Compiler, node: Node, frame: unknown, async: boolean) {
    node.cond = wrap(node.cond);
    return compileIf.call(this, node, frame, async);
  };
  const compileInlineIf = proto.compileInlineIf;
  proto.compileInlineIf = function (this: Compiler, node: Node, frame: unknown) {
    node.cond = wrap(node.cond);
    return compileInlineIf.call(this, node, frame);
  };
  proto.compileNot = function (this: Compiler, node: Node, frame: unknown) {
    this._emit('!');
    this.compile(wrap(node.target), frame);
  };
  // `a or b` → a when a is true, else b; `a and b` → b when a is true, else a (b evaluated lazily).
  const logical = (or: boolean) =>
    function (this: Compiler, node: Node, frame: unknown) {
      const left = this._tmpid();
      this._emit(`(function(${left}){return runtime.jinjaTruthy(${left}) ? `);
      if (or) this._emit(left);
      else this.compile(node.right, frame);
      this._emit(' : ');
      if (or) this.compile(node.right, frame);
      else this._emit(left);
      this._emit(';})(');
      this.compile(node.left, frame);
      this._emit(')');
    };
  proto.compileOr = logical(true);
  proto.compileAnd = logical(false);
}
