// The x87 FPU as a tree of named values for the Variables view (the FPU
// scope): ST0-ST7 as decimal values with their raw 80-bit hex, physical
// register and tag; the control word (masks, precision, rounding) and the
// status word (exception flags, condition codes, TOP) decoded and
// editable; the tag word; the last opcode and instruction/data pointers.
// DAP-free, like registerView.ts.

import type { VmexitRuntime } from './runtime';
import { StateNode, hex } from './registerView';

/** The 80-bit value (sign/exponent word, significand high and low) as 20 hex digits. */
export function rawHex(se: number, hi: number, lo: number): string {
  return `0x${se.toString(16).toUpperCase().padStart(4, '0')}${hi.toString(16).toUpperCase().padStart(8, '0')}${lo.toString(16).toUpperCase().padStart(8, '0')}`;
}

const SIGNIFICANT = 19n;
const LOW = 10n ** (SIGNIFICANT - 1n);
const HIGH = 10n ** SIGNIFICANT;

/**
 * An 80-bit value in decimal with 19 significant digits (exact integer
 * arithmetic: it is what the debugger shows, so it must not be a double's
 * rounding), or its class: infinity, QNaN/SNaN, the unsupported encodings.
 */
export function extendedToDecimal(se: number, hi: number, lo: number): string {
  const sign = se & 0x8000 ? '-' : '';
  const exp = se & 0x7fff;
  const integerBit = (hi >>> 31) !== 0;
  if (exp === 0x7fff) {
    if (!integerBit) return `${sign}unsupported (pseudo-${(hi & 0x7fffffff) === 0 && lo === 0 ? 'infinity' : 'NaN'})`;
    if ((hi & 0x7fffffff) === 0 && lo === 0) return `${sign}inf`;
    return `${sign}${hi & 0x40000000 ? 'QNaN' : 'SNaN'}`;
  }
  if (exp !== 0 && !integerBit) return `${sign}unsupported (unnormal)`;
  const sig = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  if (sig === 0n) return `${sign}0`;
  const e2 = (exp || 1) - 16383 - 63; // value = sig * 2^e2
  const num0 = e2 >= 0 ? sig << BigInt(e2) : sig;
  const den = e2 >= 0 ? 1n : 1n << BigInt(-e2);
  // Scale by 10^k so the quotient has 19 digits; the estimate from the binary exponent is off by one at most.
  const bits = sig.toString(2).length + e2;
  let k = Number(SIGNIFICANT) - 1 - Math.floor((bits - 1) * Math.log10(2));
  let q = 0n;
  for (let tries = 0; tries < 4; tries++) {
    const num = k >= 0 ? num0 * 10n ** BigInt(k) : num0;
    const d = k >= 0 ? den : den * 10n ** BigInt(-k);
    q = (2n * num + d) / (2n * d); // rounded half up
    if (q >= HIGH) k--;
    else if (q < LOW) k++;
    else break;
  }
  const digits = q.toString().replace(/0+$/, '') || '0';
  const decimalExp = Number(SIGNIFICANT) - 1 - k;
  if (decimalExp >= -5 && decimalExp < Number(SIGNIFICANT)) {
    if (decimalExp < 0) return `${sign}0.${'0'.repeat(-decimalExp - 1)}${digits}`;
    const whole = digits.slice(0, decimalExp + 1).padEnd(decimalExp + 1, '0');
    const frac = digits.slice(decimalExp + 1);
    return `${sign}${whole}${frac ? '.' + frac : ''}`;
  }
  return `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${decimalExp >= 0 ? '+' : ''}${decimalExp}`;
}

const TAGS = ['valid', 'zero', 'special', 'empty'] as const;
const PRECISION = ['24-bit (single)', 'reserved', '53-bit (double)', '64-bit (extended)'] as const;
const ROUNDING = ['to nearest', 'down (toward -inf)', 'up (toward +inf)', 'toward zero'] as const;
const EXCEPTIONS: readonly [string, string][] = [['I', 'invalid operation'], ['D', 'denormal operand'], ['Z', 'zero divide'], ['O', 'overflow'], ['U', 'underflow'], ['P', 'precision']];

function bytesToWords(b: readonly number[]): [number, number, number] {
  const lo = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const hi = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
  return [b[8] | (b[9] << 8), hi, lo];
}

function flagList(value: number, names: readonly [string, string][], suffix: string): string {
  const set = names.filter((_, i) => (value >> i) & 1).map(([n]) => n + suffix);
  return set.length ? set.join(' ') : 'none';
}

/** The FPU scope of the focused vCPU. */
export function fpuNodes(runtime: VmexitRuntime): StateNode[] {
  const vcpu = runtime.vcpu;
  const s = vcpu.getFpu();
  const top = (s.fsw >> 11) & 7;
  const edit = (change: (state: typeof s) => void): void => {
    const next = vcpu.getFpu();
    change(next);
    vcpu.setFpu(next);
  };
  const registers: StateNode[] = s.st.map((bytes, i) => {
    const [se, hi, lo] = bytesToWords(bytes);
    const phys = (top + i) & 7;
    const tag = TAGS[(s.ftw >> (2 * phys)) & 3];
    return {
      name: `st${i}`,
      value: tag === 'empty' ? `empty (${extendedToDecimal(se, hi, lo)})` : extendedToDecimal(se, hi, lo),
      type: `${rawHex(se, hi, lo)} R${phys} ${tag}`,
      children: () => [
        { name: 'raw', value: rawHex(se, hi, lo), type: 'sign and exponent, significand' },
        { name: 'sign', value: String(se >>> 15) },
        { name: 'exponent', value: hex(se & 0x7fff, 4), type: `unbiased ${(se & 0x7fff) - 16383}` },
        { name: 'significand', value: `0x${hi.toString(16).toUpperCase().padStart(8, '0')}${lo.toString(16).toUpperCase().padStart(8, '0')}` },
        { name: 'physical', value: `R${phys}` },
        { name: 'tag', value: tag },
      ],
    };
  });
  const cw = s.fcw, sw = s.fsw;
  return [
    ...registers,
    {
      name: 'fcw',
      value: `${hex(cw, 4)} [masked ${flagList(cw, EXCEPTIONS, 'M')}; ${PRECISION[(cw >> 8) & 3]}; round ${ROUNDING[(cw >> 10) & 3]}]`,
      set: (x) => edit((t) => (t.fcw = x & 0xffff)),
      children: () => [
        ...EXCEPTIONS.map(([n, title], i) => ({ name: `${n}M`, value: String((cw >> i) & 1), type: `${title} masked` })),
        { name: 'PC', value: String((cw >> 8) & 3), type: PRECISION[(cw >> 8) & 3] },
        { name: 'RC', value: String((cw >> 10) & 3), type: `round ${ROUNDING[(cw >> 10) & 3]}` },
      ],
    },
    {
      name: 'fsw',
      value: `${hex(sw, 4)} [TOP ${top}; C3..C0 ${(sw >> 14) & 1}${(sw >> 10) & 1}${(sw >> 9) & 1}${(sw >> 8) & 1}; raised ${flagList(sw, EXCEPTIONS, 'E')}${sw & 0x40 ? ' SF' : ''}${sw & 0x80 ? ' ES' : ''}]`,
      set: (x) => edit((t) => (t.fsw = x & 0xffff)),
      children: () => [
        ...EXCEPTIONS.map(([n, title], i) => ({ name: `${n}E`, value: String((sw >> i) & 1), type: title })),
        { name: 'SF', value: String((sw >> 6) & 1), type: 'stack fault' },
        { name: 'ES', value: String((sw >> 7) & 1), type: 'an unmasked exception is pending' },
        { name: 'C0', value: String((sw >> 8) & 1) },
        { name: 'C1', value: String((sw >> 9) & 1) },
        { name: 'C2', value: String((sw >> 10) & 1) },
        { name: 'C3', value: String((sw >> 14) & 1) },
        { name: 'TOP', value: String(top) },
        { name: 'B', value: String((sw >> 15) & 1), type: 'busy' },
      ],
    },
    {
      name: 'ftw',
      value: hex(s.ftw, 4),
      type: 'two bits per physical register: valid, zero, special, empty',
      children: () => [0, 1, 2, 3, 4, 5, 6, 7].map((p) => ({ name: `R${p}`, value: TAGS[(s.ftw >> (2 * p)) & 3], type: p === top ? 'ST0' : `ST${(p - top) & 7}` })),
    },
    { name: 'fop', value: hex(s.lastOpcode, 3), type: `last opcode ${(0xd8 | (s.lastOpcode >> 8)).toString(16).toUpperCase()} ${(s.lastOpcode & 0xff).toString(16).toUpperCase().padStart(2, '0')}` },
    { name: 'fip', value: `${hex(s.lastCs, 4)}:${hex(s.lastIp, 8)}`, type: 'last instruction (CS:offset)' },
    { name: 'fdp', value: `${hex(s.lastDs, 4)}:${hex(s.lastDp, 8)}`, type: 'last data operand (DS:offset)' },
  ];
}
