// NASM listing files (`nasm -l file.lst`). Each line of a listing is
//
//   <line number> <offset, 8 hex> <bytes, 18 columns><'-' if continued> [<n>] <source>
//
// The offset is relative to the start of the current section. `<rep N>`
// repeats the bytes before it (times), `<res N>` reserves N bytes (resb),
// `????` marks space in an absolute area (struc), `[...]`/`(...)` wrap bytes
// a relocation will fill. A long db spills onto continuation lines that
// repeat the line number and carry no source. `<n>` is the nesting level of
// a line that comes from an %include'd file, a macro expansion or a %rep
// expansion; the line number of such a line counts in the included file or
// in the file where the macro was defined, and the listing never names
// either file, so this parser follows the source column itself:
//
// - a deeper level right after `%include "x"` opens file x (searched next to
//   the including file, the main source, the listing, then includePaths,
//   and confirmed by comparing its lines with the listing's text);
// - a deeper level right after `%endrep` repeats lines of the same file;
// - any other deeper level is a macro expansion: its bytes belong to the
//   line that invoked the macro (primary), and also to the macro body line
//   (secondary) when the %macro definition was seen in the listing.
//
// The listing does not name the main source file either: it is taken from
// options.source, or the listing's name with .asm (.nasm, .s, .S, .inc) in
// the listing's folder or the one above it (a build/ folder beside the
// source), confirmed the same way.
//
// Labels come from the source column (`name:`, or `name db/dw/.../equ/times
// ...` without a colon); local labels `.x` are named `parent.x`. A label's
// value is the offset printed on its line, or the section's location
// counter when the line has none. EQUs with a plain constant value are
// kept as constants. Sections follow the bin format's layout rules (.text
// at org, other progbits sections aligned after it, nobits after those,
// start=/vstart=/follows=/vfollows=/align= honoured), so an object-format
// listing (elf, coff) is only right for its first section: use the object
// file itself (with DWARF) for those.

import * as path from 'node:path';
import { evalNasmExpression, parseNasmNumber } from './nasmNumbers';
import type { CodeBits, ParsedSymbols, RawLine, RawSymbol } from './types';

export interface ListingOptions {
  /** The main source file (absolute, or relative to the listing's folder). */
  source?: string;
  /** Extra folders %include files are searched in (NASM's -i). */
  includePaths?: string[];
  /** Reads a file, to confirm which candidate source file the listing shows. */
  readText?: (file: string) => string | undefined;
}

interface FileRef {
  name: string;
  parent: FileRef | null;
  samples: Map<number, string>;
  resolved?: string;
}

interface Ctx {
  kind: 'file' | 'macro' | 'rep';
  /** The file this context's line numbers count in (null: unknown macro). */
  file: FileRef | null;
  lastLine: number;
  lastSource: string;
  /** The line whose macro expansion has produced bytes already. */
  expanded?: number;
}

interface Section {
  name: string;
  nobits: boolean;
  align?: number;
  valign?: number;
  alignSeen: number;
  start?: number;
  vstart?: number;
  follows?: string;
  vfollows?: string;
  /** Highest offset + size seen. */
  size: number;
  /** Location counter (next offset). */
  loc: number;
  /** Assembled address of offset 0 (computed after the pass). */
  base: number;
  hasBytes: boolean;
}

interface PendingLine {
  file: FileRef;
  line: number;
  section: Section;
  offset: number;
  size: number;
  primary: boolean;
  code: boolean;
  breakable: boolean;
  bits: CodeBits | undefined;
}

interface PendingSymbol {
  name: string;
  section: Section | null;
  value: number;
  kind: 'label' | 'constant';
}

const DATA_RE = /^(?:times\s+.+?\s+)?(?:db|dw|dd|dq|dt|do|dy|dz|incbin|align|alignb|istruc|at|iend)\b/i;
const NO_COLON_LABEL_RE =
  /^(\$?[A-Za-z_.?@][\w.?$#@~]*)\s+(?=(?:db|dw|dd|dq|dt|do|dy|dz|resb|resw|resd|resq|rest|reso|resy|resz|equ|times|incbin|istruc)\b)/i;
const COLON_LABEL_RE = /^(\$?[A-Za-z_.?@][\w.?$#@~]*)\s*:(?!:)/;
const SOURCE_EXTENSIONS = ['.asm', '.nasm', '.s', '.S', '.inc', '.ASM'];

/** Removes a `;` comment (outside quotes) and surrounding blanks. */
export function stripComment(src: string): string {
  let quote = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === ';') return src.slice(0, i).trim();
  }
  return src.trim();
}

function countValue(digits: string, hexSuffix: string): number {
  return parseInt(digits, hexSuffix ? 16 : 10);
}

/** Bytes a listing's byte column stands for; reserved = space without contents. */
function byteColumnSize(hex: string): { size: number; reserved: boolean } {
  if (hex === '') return { size: 0, reserved: false };
  if (/^\?+$/.test(hex)) return { size: hex.length >> 1, reserved: true };
  let m = /<res ([0-9A-Fa-f]+)(h?)>/.exec(hex);
  if (m) return { size: countValue(m[1], m[2]), reserved: true };
  m = /^(.*)<rep ([0-9A-Fa-f]+)(h?)>$/.exec(hex);
  if (m) return { size: countHexBytes(m[1]) * countValue(m[2], m[3]), reserved: false };
  m = /<(?:bin|incbin) ([0-9A-Fa-f]+)(h?)>/.exec(hex);
  if (m) return { size: countValue(m[1], m[2]), reserved: false };
  return { size: countHexBytes(hex), reserved: false };
}

function countHexBytes(s: string): number {
  const digits = s.replace(/[[\](){}\s-]/g, '');
  return /^[0-9A-Fa-f]*$/.test(digits) ? digits.length >> 1 : 0;
}

function normaliseText(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function alignUp(v: number, a: number): number {
  return a > 1 ? Math.ceil(v / a) * a : v;
}

export function parseNasmListing(listingPath: string, text: string, options: ListingOptions = {}): ParsedSymbols {
  const warnings: string[] = [];
  const listingDir = path.dirname(path.resolve(listingPath));
  const shortName = path.basename(listingPath);

  const main: FileRef = { name: '', parent: null, samples: new Map() };
  const stack: Ctx[] = [{ kind: 'file', file: main, lastLine: 0, lastSource: '' }];
  const macroDefs = new Map<string, FileRef | null>();
  const imacroDefs = new Map<string, FileRef | null>();

  const sections = new Map<string, Section>();
  const sectionOrder: Section[] = [];
  const getSection = (name: string): Section => {
    let s = sections.get(name);
    if (!s) {
      s = { name, nobits: name === '.bss', alignSeen: 1, size: 0, loc: 0, base: 0, hasBytes: false };
      sections.set(name, s);
      sectionOrder.push(s);
    }
    return s;
  };
  const text0 = getSection('.text');
  const absolute: Section = { name: '(absolute)', nobits: true, alignSeen: 1, size: 0, loc: 0, base: 0, hasBytes: false };
  let current = text0;
  let inStruc: string | null = null;
  let beforeStruc = text0;

  let org = 0;
  // Known from the first BITS/USE directive on: the default depends on the
  // output format (16 for bin, 32 or 64 for elf), which the listing does not name.
  let bits: CodeBits | undefined;
  let parent: string | undefined;
  let defDepth = 0;
  let repDepth = 0;
  let sawListingLine = false;

  const lines: PendingLine[] = [];
  const symbols: PendingSymbol[] = [];
  const constants = new Map<string, number>();
  let continued: PendingLine[] | null = null;

  const openContext = (outer: Ctx): Ctx => {
    const src = outer.lastSource;
    const inc = /^%include\s+(?:"([^"]+)"|'([^']+)'|<([^>]+)>)/i.exec(src);
    if (inc) {
      const name = inc[1] ?? inc[2] ?? inc[3];
      return { kind: 'file', file: { name, parent: outer.file, samples: new Map() }, lastLine: 0, lastSource: '' };
    }
    if (/^%endr(?:ep)?\b/i.test(src)) return { kind: 'rep', file: outer.file, lastLine: 0, lastSource: '' };
    const afterLabel = src.replace(COLON_LABEL_RE, '').trim();
    const name = /^[^\s,]+/.exec(afterLabel)?.[0] ?? '';
    const def = macroDefs.has(name) ? macroDefs.get(name) : imacroDefs.get(name.toLowerCase());
    return { kind: 'macro', file: def ?? null, lastLine: 0, lastSource: '' };
  };

  const fullLabelName = (name: string): string | null => {
    if (name.startsWith('$')) name = name.slice(1);
    if (name.includes('%') || name.startsWith('..@')) return null;
    if (name.startsWith('..')) return name;
    if (name.startsWith('.')) return parent !== undefined ? parent + name : name;
    parent = name;
    return name;
  };

  for (const raw of text.split(/\r?\n/)) {
    const num = /^ *(\d+)/.exec(raw);
    if (!num) continue;
    sawListingLine = true;
    const lineNo = Number(num[1]);
    const rest = raw.slice(num[0].length);
    const offText = rest.slice(1, 9);
    const hex = rest.slice(10, 28).trim();
    const continues = rest[28] === '-';
    if (hex.startsWith('*')) continue; // a warning or error message line
    const offset = /^[0-9A-Fa-f]{8}$/.test(offText) ? parseInt(offText, 16) : undefined;
    const { size, reserved } = byteColumnSize(hex);

    if (continued) {
      // More bytes of the previous source line.
      if (offset !== undefined) {
        for (const l of continued) l.size = offset + size - l.offset;
        noteBytes(continued[0].section, offset, size, !reserved);
      }
      continued = continues ? continued : null;
      continue;
    }

    const marker = /^ ?<(\d+)> ?/.exec(rest.slice(29));
    const level = marker ? Number(marker[1]) : 0;
    const source = marker ? rest.slice(29 + marker[0].length) : rest.slice(34);
    while (stack.length - 1 > level) stack.pop();
    while (stack.length - 1 < level) stack.push(openContext(stack[stack.length - 1]));
    const top = stack[level];
    const src = stripComment(source);
    top.lastLine = lineNo;
    top.lastSource = src;
    if (top.kind === 'file' && top.file && src !== '' && top.file.samples.size < 12) top.file.samples.set(lineNo, source);

    // Preprocessor bookkeeping.
    const macroDef = /^%(i?)r?macro\s+([^\s]+)/i.exec(src);
    if (macroDef) {
      if (defDepth === 0) (macroDef[1] ? imacroDefs : macroDefs).set(macroDef[1] ? macroDef[2].toLowerCase() : macroDef[2], top.file);
      defDepth++;
      continue;
    }
    if (/^%endm(?:acro)?\b/i.test(src)) {
      defDepth = Math.max(0, defDepth - 1);
      continue;
    }
    if (defDepth > 0) continue;
    if (/^%rep\b/i.test(src)) {
      repDepth++;
      continue;
    }
    if (/^%endr(?:ep)?\b/i.test(src)) {
      repDepth = Math.max(0, repDepth - 1);
      continue;
    }
    if (repDepth > 0 && level === 0) continue;

    // The code size for the lines that follow (BITS n, [BITS n], USEn).
    const bitsDirective = /^\[?\s*(?:bits\s+(16|32|64)|use(16|32|64))\s*\]?$/i.exec(src);
    if (bitsDirective) {
      bits = Number(bitsDirective[1] ?? bitsDirective[2]) as CodeBits;
      continue;
    }

    // Assembler directives that move the location.
    const directive = /^\[?\s*(section|segment|absolute|org|struc|endstruc|align|alignb)\b\s*(.*?)\s*\]?$/i.exec(src);
    if (directive) {
      const kind = directive[1].toLowerCase();
      const arg = directive[2];
      if (kind === 'section' || kind === 'segment') {
        const [name, ...attrs] = arg.split(/\s+/);
        if (name) {
          current = getSection(name);
          applySectionAttributes(current, attrs.join(' '), warnings, shortName, lineNo);
        }
        inStruc = null;
      } else if (kind === 'absolute') {
        current = absolute;
        const v = evalNasmExpression(arg, (n) => constants.get(n));
        if (v !== undefined) absolute.loc = v;
      } else if (kind === 'org') {
        const v = evalNasmExpression(arg, (n) => constants.get(n));
        if (v === undefined) warnings.push(`${shortName}: line ${lineNo}: cannot evaluate 'org ${arg}'; assuming 0`);
        else org = v;
      } else if (kind === 'struc') {
        const name = arg.split(/\s+/)[0];
        if (name) {
          beforeStruc = current;
          inStruc = name;
          parent = name;
          symbols.push({ name, section: null, value: 0, kind: 'constant' });
        }
      } else if (kind === 'endstruc') {
        inStruc = null;
        current = beforeStruc;
      }
      if (kind !== 'align' && kind !== 'alignb') continue;
      // In the bin format an align also raises the section's alignment.
      const a = parseNasmNumber(arg.split(',')[0]);
      if (a && current !== absolute) current.alignSeen = Math.max(current.alignSeen, a);
    }

    // A label on this line?
    let body = src;
    const colon = COLON_LABEL_RE.exec(src);
    const bare = colon ? null : NO_COLON_LABEL_RE.exec(src);
    const label = colon ?? bare;
    if (label) {
      body = src.slice(label[0].length).trim();
      const equ = /^equ\b\s*(.*)$/i.exec(body);
      if (equ) {
        const name = label[1].startsWith('.') && parent !== undefined ? parent + label[1] : label[1].replace(/^\$/, '');
        const v = evalNasmExpression(equ[1], (n) => constants.get(n));
        if (v !== undefined && !name.includes('%')) {
          constants.set(name, v);
          symbols.push({ name, section: null, value: v, kind: 'constant' });
        }
        continue;
      }
      const name = fullLabelName(label[1]);
      if (name !== null) {
        if (inStruc !== null) symbols.push({ name, section: null, value: offset ?? current.loc, kind: 'constant' });
        else symbols.push({ name, section: current, value: offset ?? current.loc, kind: 'label' });
      }
    }

    if (offset === undefined || size === 0) continue;
    if (inStruc !== null || current === absolute) {
      if (current === absolute) absolute.loc = offset + size;
      continue;
    }
    noteBytes(current, offset, size, !reserved);
    if (reserved) continue;

    // Whose bytes are these?
    const code = body !== '' && !DATA_RE.test(body);
    const mine: PendingLine[] = [];
    const add = (file: FileRef | null, line: number, primary: boolean, breakable = true) => {
      if (!file || line <= 0) return;
      if (mine.some((l) => l.file === file && l.line === line)) return;
      const l: PendingLine = { file, line, section: current, offset, size, primary, code, breakable, bits };
      mine.push(l);
      lines.push(l);
    };
    let firstMacro = -1;
    for (let i = 1; i <= level; i++) {
      if (stack[i].kind === 'macro') {
        firstMacro = i;
        break;
      }
    }
    if (firstMacro < 0) add(top.file, lineNo, true);
    else {
      // A breakpoint on the invoking line stops at the expansion's first bytes only.
      const caller = stack[firstMacro - 1];
      add(caller.file, caller.lastLine, true, caller.expanded !== caller.lastLine);
      caller.expanded = caller.lastLine;
      for (let i = firstMacro; i < level; i++) {
        add(stack[i].file, stack[i].lastLine, false, stack[i].expanded !== stack[i].lastLine);
        stack[i].expanded = stack[i].lastLine;
      }
      add(top.file, lineNo, false);
    }
    continued = continues && mine.length > 0 ? mine : null;
  }

  if (!sawListingLine) throw new Error(`${shortName} is not a NASM listing (no numbered lines)`);

  function noteBytes(s: Section, offset: number, size: number, hasBytes: boolean): void {
    s.loc = offset + size;
    s.size = Math.max(s.size, offset + size);
    if (hasBytes) s.hasBytes = true;
  }

  layOutBinSections(sectionOrder, text0, org);

  // Which files are these?
  const readText = options.readText;
  const fileCache = new Map<string, string[] | null>();
  const fileLines = (p: string): string[] | null => {
    if (!fileCache.has(p)) {
      const t = readText?.(p);
      fileCache.set(p, t === undefined ? null : t.split(/\r?\n/));
    }
    return fileCache.get(p) ?? null;
  };
  const resolveRef = (ref: FileRef): string => {
    if (ref.resolved !== undefined) return ref.resolved;
    let candidates: string[];
    if (ref.parent === null && ref === main) {
      candidates = options.source
        ? [path.resolve(listingDir, options.source)]
        : [listingDir, path.dirname(listingDir)].flatMap((dir) =>
            SOURCE_EXTENSIONS.map((ext) => path.join(dir, path.basename(listingPath, path.extname(listingPath)) + ext)),
          );
    } else if (path.isAbsolute(ref.name)) {
      candidates = [path.normalize(ref.name)];
    } else {
      const dirs = [
        path.dirname(resolveRef(ref.parent ?? main)),
        path.dirname(resolveRef(main)),
        listingDir,
        ...(options.includePaths ?? []).map((d) => path.resolve(listingDir, d)),
      ];
      candidates = [...new Set(dirs.map((d) => path.join(d, ref.name)))];
    }
    let best: string | undefined;
    let bestScore = -1;
    for (const c of candidates) {
      const content = fileLines(c);
      if (!content) continue;
      let score = 0;
      for (const [n, t] of ref.samples) if (normaliseText(content[n - 1] ?? '') === normaliseText(t)) score++;
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    const shown = ref === main ? 'the main source file' : `'${ref.name}'`;
    if (best === undefined) {
      best = candidates[0];
      if (readText) warnings.push(`${shortName}: ${shown} not found (looked for ${candidates.join(', ')}); assuming ${best}`);
    } else if (bestScore < ref.samples.size) {
      warnings.push(`${shortName}: ${best} does not match the listing's text for ${shown} (was it edited since?)`);
    }
    ref.resolved = best;
    return best;
  };

  const out: RawLine[] = lines.map((l) => ({
    path: resolveRef(l.file),
    line: l.line,
    address: l.section.base + l.offset,
    size: l.size,
    primary: l.primary,
    code: l.code,
    breakable: l.breakable,
    ...(l.bits ? { bits: l.bits } : {}),
  }));
  resolveRef(main);
  const outSymbols: RawSymbol[] = symbols.map((s) => ({
    name: s.name,
    value: s.section ? s.section.base + s.value : s.value,
    kind: s.kind,
  }));
  const anchorSection = text0.hasBytes ? text0 : (sectionOrder.find((s) => s.hasBytes) ?? text0);
  return { format: 'nasm-listing', lines: out, symbols: outSymbols, anchor: anchorSection.base, warnings };
}

function applySectionAttributes(s: Section, attrs: string, warnings: string[], file: string, lineNo: number): void {
  for (const a of attrs.split(/\s+/).filter((x) => x !== '')) {
    const kv = /^(\w+)=(.+)$/.exec(a);
    const key = (kv ? kv[1] : a).toLowerCase();
    if (key === 'nobits') s.nobits = true;
    else if (key === 'progbits') s.nobits = false;
    else if (kv && (key === 'follows' || key === 'vfollows')) s[key] = kv[2];
    else if (kv && (key === 'start' || key === 'vstart' || key === 'align' || key === 'valign')) {
      const v = parseNasmNumber(kv[2]);
      if (v === undefined) warnings.push(`${file}: line ${lineNo}: cannot read section attribute '${a}'`);
      else s[key] = v;
    }
  }
}

/**
 * The bin format's placement (NASM manual, "bin: Multisection Support"):
 * .text at org, then the other progbits sections in order of definition,
 * each aligned (4 by default), then the nobits ones; start=, follows=,
 * vstart= and vfollows= override. Labels count from vstart.
 */
function layOutBinSections(order: Section[], text: Section, org: number): void {
  const byName = new Map(order.map((s) => [s.name, s]));
  const starts = new Map<Section, number>();
  let cursor = org;
  const alignOf = (s: Section) => s.align ?? Math.max(s === text ? 1 : 4, s.alignSeen);
  const place = (s: Section): number => {
    const known = starts.get(s);
    if (known !== undefined) return known;
    let start: number;
    if (s.start !== undefined) start = s.start;
    else if (s.follows !== undefined && byName.has(s.follows)) {
      const f = byName.get(s.follows) as Section;
      start = alignUp(place(f) + f.size, alignOf(s));
    } else if (s === text) start = org;
    else start = alignUp(cursor, alignOf(s));
    starts.set(s, start);
    cursor = Math.max(cursor, start + s.size);
    return start;
  };
  const vstarts = new Map<Section, number>();
  const vplace = (s: Section): number => {
    const known = vstarts.get(s);
    if (known !== undefined) return known;
    let v: number;
    if (s.vstart !== undefined) v = s.vstart;
    else if (s.vfollows !== undefined && byName.has(s.vfollows)) {
      const f = byName.get(s.vfollows) as Section;
      v = alignUp(vplace(f) + f.size, s.valign ?? 4);
    } else v = starts.get(s) ?? 0;
    vstarts.set(s, v);
    return v;
  };
  const progbits = order.filter((s) => !s.nobits);
  for (const s of progbits) place(s);
  for (const s of progbits) vplace(s);
  // nobits sections follow the previous section's virtual end.
  let last = progbits[progbits.length - 1];
  for (const s of order.filter((x) => x.nobits)) {
    const after = last ? vplace(last) + last.size : org;
    vstarts.set(s, s.vstart ?? alignUp(after, s.valign ?? s.align ?? Math.max(4, s.alignSeen)));
    last = s;
  }
  for (const s of order) s.base = vplace(s);
}
