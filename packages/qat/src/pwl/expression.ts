import { IntrnnError } from '@intrnn/format';
import { create, all, type MathNode } from 'mathjs';

// mathjs parses (it never runs JavaScript); the expression may then call only these elementary
// functions and name only x and these constants, so its evaluation is bounded by its length:
// no loops, no matrices, no imports. (A Function constructor ran arbitrary code, and an endless
// loop in --expr hung the CLI.)
const FUNCTIONS = [
  'abs',
  'sign',
  'sqrt',
  'cbrt',
  'exp',
  'expm1',
  'log',
  'log1p',
  'log2',
  'log10',
  'pow',
  'min',
  'max',
  'floor',
  'ceil',
  'round',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'erf',
] as const;
const CONSTANTS = ['pi', 'e', 'PI', 'E', 'x'] as const;
const OPERATORS = new Set(['+', '-', '*', '/', '^']);
const MAX_LENGTH = 1000;

const math = create(all);

/** Every node of the expression is a number, x, a constant, an allowed operator or an allowed function call. */
function checkNodes(root: MathNode, expr: string): void {
  root.traverse((node, _path, parent) => {
    const fail = (what: string) => {
      throw new IntrnnError('ERR_OPTION', '--expr', `${what} is not allowed in "${expr}" (numbers, x, pi, e, + - * / ^ and ${FUNCTIONS.join(', ')})`);
    };
    switch (node.type) {
      case 'ConstantNode':
        if (typeof (node as unknown as { value: unknown }).value !== 'number') fail('a non-numeric constant');
        break;
      case 'ParenthesisNode':
        break;
      case 'OperatorNode':
        if (!OPERATORS.has((node as unknown as { op: string }).op)) fail(`operator ${(node as unknown as { op: string }).op}`);
        break;
      case 'FunctionNode': {
        const name = (node as unknown as { fn: { name?: string } }).fn.name ?? '';
        if (!(FUNCTIONS as readonly string[]).includes(name)) fail(`function ${name || '(computed)'}`);
        break;
      }
      case 'SymbolNode': {
        const name = (node as unknown as { name: string }).name;
        // a function's own name is a SymbolNode under its FunctionNode
        if (parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === node) break;
        if (!(CONSTANTS as readonly string[]).includes(name)) fail(`name ${name}`);
        break;
      }
      default:
        fail(`a ${node.type.replace(/Node$/, '').toLowerCase()}`);
    }
  });
}

/**
 * Compile a math expression in x (e.g. "x / (1 + exp(-x))"), parsed with mathjs and restricted to
 * elementary functions. Throws a typed error if it does not parse, uses anything else, or does not
 * give a finite number at 0.
 */
export function compileExpression(expr: string): (x: number) => number {
  if (typeof expr !== 'string' || expr.trim() === '') throw new IntrnnError('ERR_OPTION', '--expr', 'is empty');
  if (expr.length > MAX_LENGTH) throw new IntrnnError('ERR_OPTION', '--expr', `has ${expr.length} characters; at most ${MAX_LENGTH}`);
  let node: MathNode;
  try {
    node = math.parse(expr);
  } catch (e) {
    throw new IntrnnError('ERR_OPTION', '--expr', `does not parse: ${(e as Error).message}`);
  }
  checkNodes(node, expr);
  const code = node.compile();
  const f = (x: number): number => {
    const y = code.evaluate({ x, PI: Math.PI, E: Math.E });
    return typeof y === 'number' ? y : Number.NaN; // a complex result (sqrt(-1)) is not a real function value
  };
  const y0 = f(0);
  if (!Number.isFinite(y0)) throw new IntrnnError('ERR_OPTION', '--expr', `gives ${y0} at x = 0, not a finite number`);
  return f;
}
