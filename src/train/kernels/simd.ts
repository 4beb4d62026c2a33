// The optimizer's update rules as WebAssembly SIMD loops (four float32 lanes at a time)
// over the wasm backend's own memory: the weights, gradients and slots stay where the
// backend keeps them. JavaScript computes in float64 one element at a time, and the square
// roots and divisions of Adam or RMSProp made the update a large part of a step (several
// ns per weight); in four float32 lanes it costs about a quarter. The module is a few
// hundred bytes, assembled here (no toolchain) and instantiated against the backend's
// WebAssembly.Memory; elements past the last multiple of four are left to the caller.
//
// Each function takes byte offsets (out, w, g, then the rule's slots), the byte length to
// process (a multiple of 16), then the rule's constants as float32.

/** Rule name → its exported loop. */
export interface SimdRules {
  sgd(out: number, w: number, g: number, bytes: number, lr: number): void;
  momentum(out: number, w: number, g: number, acc: number, bytes: number, lr: number, momentum: number): void;
  rmsprop(out: number, w: number, g: number, ms: number, mom: number, bytes: number, lr: number, decay: number, rest: number, momentum: number, eps: number): void;
  adam(out: number, w: number, g: number, m: number, v: number, bytes: number, step: number, b1: number, r1: number, b2: number, r2: number, root: number, eps: number): void;
  adamax(out: number, w: number, g: number, m: number, u: number, bytes: number, step: number, b1: number, r1: number, b2: number, eps: number): void;
  adagrad(out: number, w: number, g: number, acc: number, bytes: number, lr: number, eps: number): void;
}

// --- a minimal WebAssembly assembler -------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Instructions (the SIMD ones behind the 0xfd prefix, opcode as unsigned LEB128).
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const load = [...simd(0x00), 0, 0]; // v128.load align=1 offset=0
const store = [...simd(0x0b), 0, 0]; // v128.store
const splat = simd(0x13); // f32x4.splat
const abs = simd(0xe0);
const sqrt = simd(0xe3);
const add = simd(0xe4);
const sub = simd(0xe5);
const mul = simd(0xe6);
const div = simd(0xe7);
const max = simd(0xe9);

/**
 * A function looping i over [0, bytes) by 16: `ptrs` i32 parameters (byte offsets), then
 * `bytes`, then `consts` f32 parameters splatted into v128 locals once; `body` emits the
 * loop body given helpers: at(p) pushes the address p + i.
 */
function loopFunction(ptrs: number, consts: number, temps: number, body: (x: { at: (p: number) => number[]; c: (k: number) => number; t: (k: number) => number }) => number[]): { type: number[]; code: number[] } {
  const bytesParam = ptrs;
  const firstConst = ptrs + 1;
  const params = [...Array<number>(ptrs + 1).fill(I32), ...Array<number>(consts).fill(F32)];
  const iLocal = params.length;
  const firstSplat = iLocal + 1;
  const firstTemp = firstSplat + consts;
  const c = (k: number) => firstSplat + k;
  const t = (k: number) => firstTemp + k;
  const at = (p: number) => [...get(p), ...get(iLocal), 0x6a]; // i32.add
  const code = [
    ...vec([
      [...uleb(1), I32],
      [...uleb(consts + temps), V128],
    ]),
    ...Array.from({ length: consts }, (_, k) => [...get(firstConst + k), ...splat, ...set(c(k))]).flat(),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(iLocal), ...get(bytesParam), 0x4f, 0x0d, 1, // i >= bytes (i32.ge_u) → br_if 1
    ...body({ at, c, t }),
    ...get(iLocal), 0x41, ...sleb(16), 0x6a, ...set(iLocal), // i += 16
    0x0c, 0, // br 0
    0x0b, 0x0b, // end loop, end block
    0x0b, // end function
  ];
  return { type: [0x60, ...vec(params.map((p) => [p])), ...vec([])], code };
}

const RULES: [keyof SimdRules, ReturnType<typeof loopFunction>][] = [
  // out = w - lr·g
  ['sgd', loopFunction(3, 1, 0, ({ at, c }) => [...at(0), ...at(1), ...load, ...get(c(0)), ...at(2), ...load, ...mul, ...sub, ...store])],
  // acc = m·acc + g; out = w - lr·acc
  [
    'momentum',
    loopFunction(4, 2, 1, ({ at, c, t }) => [
      ...get(c(1)), ...at(3), ...load, ...mul, ...at(2), ...load, ...add, ...set(t(0)),
      ...at(3), ...get(t(0)), ...store,
      ...at(0), ...at(1), ...load, ...get(c(0)), ...get(t(0)), ...mul, ...sub, ...store,
    ]),
  ],
  // d = g; ms = ms·decay + d·d·rest; mom = mom·momentum + (d·lr)/√(ms + ε); out = w - mom
  [
    'rmsprop',
    loopFunction(5, 5, 3, ({ at, c, t }) => [
      ...at(2), ...load, ...set(t(0)),
      ...at(3), ...load, ...get(c(1)), ...mul, ...get(t(0)), ...get(t(0)), ...mul, ...get(c(2)), ...mul, ...add, ...set(t(1)),
      ...at(3), ...get(t(1)), ...store,
      ...at(4), ...load, ...get(c(3)), ...mul, ...get(t(0)), ...get(c(0)), ...mul, ...get(t(1)), ...get(c(4)), ...add, ...sqrt, ...div, ...add, ...set(t(2)),
      ...at(4), ...get(t(2)), ...store,
      ...at(0), ...at(1), ...load, ...get(t(2)), ...sub, ...store,
    ]),
  ],
  // d = g; m = m·b1 + d·r1; v = v·b2 + d·d·r2; out = w - (step·m)/(√v·root + ε)
  [
    'adam',
    loopFunction(5, 7, 3, ({ at, c, t }) => [
      ...at(2), ...load, ...set(t(0)),
      ...at(3), ...load, ...get(c(1)), ...mul, ...get(t(0)), ...get(c(2)), ...mul, ...add, ...set(t(1)),
      ...at(3), ...get(t(1)), ...store,
      ...at(4), ...load, ...get(c(3)), ...mul, ...get(t(0)), ...get(t(0)), ...mul, ...get(c(4)), ...mul, ...add, ...set(t(2)),
      ...at(4), ...get(t(2)), ...store,
      ...at(0), ...at(1), ...load, ...get(c(0)), ...get(t(1)), ...mul, ...get(t(2)), ...sqrt, ...get(c(5)), ...mul, ...get(c(6)), ...add, ...div, ...sub, ...store,
    ]),
  ],
  // d = g; m = m·b1 + d·r1; u = max(u·b2, |d|); out = w - step·(m/(u + ε))
  [
    'adamax',
    loopFunction(5, 5, 3, ({ at, c, t }) => [
      ...at(2), ...load, ...set(t(0)),
      ...at(3), ...load, ...get(c(1)), ...mul, ...get(t(0)), ...get(c(2)), ...mul, ...add, ...set(t(1)),
      ...at(3), ...get(t(1)), ...store,
      ...at(4), ...load, ...get(c(3)), ...mul, ...get(t(0)), ...abs, ...max, ...set(t(2)),
      ...at(4), ...get(t(2)), ...store,
      ...at(0), ...at(1), ...load, ...get(c(0)), ...get(t(1)), ...get(t(2)), ...get(c(4)), ...add, ...div, ...mul, ...sub, ...store,
    ]),
  ],
  // d = g; acc = acc + d·d; out = w - lr·(d/√(acc + ε))
  [
    'adagrad',
    loopFunction(4, 2, 2, ({ at, c, t }) => [
      ...at(2), ...load, ...set(t(0)),
      ...at(3), ...load, ...get(t(0)), ...get(t(0)), ...mul, ...add, ...set(t(1)),
      ...at(3), ...get(t(1)), ...store,
      ...at(0), ...at(1), ...load, ...get(c(0)), ...get(t(0)), ...get(t(1)), ...get(c(1)), ...add, ...sqrt, ...div, ...mul, ...sub, ...store,
    ]),
  ],
];

function assemble(): Uint8Array<ArrayBuffer> {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(RULES.map(([, f]) => f.type))),
    // import env.memory (min 1 page, no maximum: any memory fits)
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec(RULES.map((_, i) => uleb(i)))),
    ...section(7, vec(RULES.map(([name], i) => [...str(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(RULES.map(([, f]) => [...uleb(f.code.length), ...f.code]))),
  ];
  return new Uint8Array(bytes);
}

const instances = new WeakMap<WebAssembly.Memory, SimdRules | null>();

/**
 * The SIMD update loops over `memory`, or null where WebAssembly SIMD is not available
 * (the caller then loops in JavaScript).
 */
export function simdRules(memory: WebAssembly.Memory): SimdRules | null {
  let rules = instances.get(memory);
  if (rules === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(assemble()), { env: { memory } });
      rules = instance.exports as unknown as SimdRules;
    } catch {
      rules = null;
    }
    instances.set(memory, rules);
  }
  return rules;
}
