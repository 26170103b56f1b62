// What the adapter asks of symbols, behind one small interface, and an
// interim implementation that reads NASM listings (`nasm -l`) only: source
// lines and labels. The full SymbolTable (listings, map files, ELF/DWARF) in
// ./symbols replaces the interim one once it lands.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SymbolFileSpec } from './launchConfig';

export interface LineAddresses {
  /** The line that got the breakpoint (moved to the nearest line with code). */
  line: number;
  addresses: number[];
}

export interface SourcePlace {
  path: string;
  line: number;
  /** First linear address of the line's bytes. */
  start: number;
}

export interface SymbolService {
  /** Load a symbol file; returns warnings for the debug console. Throws with a message naming the file. */
  addFile(spec: SymbolFileSpec): string[];
  lineToAddresses(sourcePath: string, line: number): LineAddresses | { error: string };
  addressToLine(linear: number): SourcePlace | undefined;
  lookupSymbol(name: string): number | undefined;
  /** The symbol at or before an address: name and offset. */
  symbolAt(linear: number): { name: string; offset: number } | undefined;
}

interface ListedLine {
  path: string;
  line: number;
  address: number;
  size: number;
}

/** 0x7C00, 7C00h, $7C00, 31744. */
function asmNumber(text: string): number | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^[0-9][0-9a-f]*h$/i.test(t)) return parseInt(t.slice(0, -1), 16);
  if (/^\$[0-9][0-9a-f]*$/i.test(t)) return parseInt(t.slice(1), 16);
  if (/^[0-9]+$/.test(t)) return Number(t);
  return undefined;
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** NASM listings only: `lineno address bytes source`, with %line-free, single-file sources. */
export class ListingSymbols implements SymbolService {
  private lines: ListedLine[] = [];
  private labels = new Map<string, number>();

  addFile(spec: SymbolFileSpec): string[] {
    const text = fs.readFileSync(spec.path, 'latin1');
    const source = this.sourceFor(spec.path);
    const rows: { line: number; offset: number; size: number; src: string }[] = [];
    let org = 0;
    let lastLine = 0;
    for (const raw of text.split(/\r?\n/)) {
      // "    12 00000005 B40E                    mov ah, 0x0e"
      const m = /^\s*(\d+)\s(?:\s*<\d+>)?\s*([0-9A-F]{8})?\s*([0-9A-F()[\]-]*)\s*(.*)$/.exec(raw);
      if (!m) continue;
      const line = Number(m[1]);
      const src = m[4] ?? '';
      const orgMatch = /^\s*org\s+(\S+)/i.exec(src) ?? /^\s*\[\s*org\s+([^\]\s]+)\s*\]/i.exec(src);
      if (orgMatch) org = asmNumber(orgMatch[1]) ?? org;
      if (m[2] === undefined) continue;
      const bytes = (m[3] ?? '').replace(/[^0-9A-F]/g, '').length / 2;
      if (line === lastLine && rows.length > 0 && m[4] === '') {
        rows[rows.length - 1].size += bytes; // continuation row of a long instruction or data
        continue;
      }
      lastLine = line;
      rows.push({ line, offset: parseInt(m[2], 16), size: bytes, src });
    }
    const base = spec.segment !== undefined ? spec.segment * 16 : spec.address !== undefined ? spec.address - (rows[0]?.offset ?? 0) : org;
    for (const r of rows) {
      const address = (base + r.offset) >>> 0;
      const label = /^\s*([A-Za-z_.?][\w.?@$#]*):/.exec(r.src);
      if (label) this.labels.set(label[1], address);
      if (r.size > 0) this.lines.push({ path: source, line: r.line, address, size: r.size });
    }
    // Labels on lines without bytes (a label alone on its line) point at the next line's bytes.
    for (const raw of text.split(/\r?\n/)) {
      const m = /^\s*(\d+)\s+([0-9A-F]{8})?\s*([A-Za-z_.?][\w.?@$#]*):\s*(;.*)?$/.exec(raw);
      if (m && m[2]) this.labels.set(m[3], (base + parseInt(m[2], 16)) >>> 0);
    }
    this.lines.sort((a, b) => a.address - b.address);
    return source === spec.path ? [`${spec.path}: no source file beside the listing; lines refer to the listing`] : [];
  }

  /** The assembly source beside a listing: x.lst → x.asm / x.s / x.nasm. */
  private sourceFor(listing: string): string {
    const stem = listing.replace(/\.(lst|list|lis)$/i, '');
    for (const ext of ['.asm', '.nasm', '.s', '.S', '.inc']) if (fs.existsSync(stem + ext)) return stem + ext;
    return listing;
  }

  lineToAddresses(sourcePath: string, line: number): LineAddresses | { error: string } {
    const mine = this.lines.filter((l) => samePath(l.path, sourcePath));
    if (mine.length === 0) return { error: `no symbols for ${path.basename(sourcePath)} (add its listing to "symbols")` };
    const after = mine.filter((l) => l.line >= line).sort((a, b) => a.line - b.line || a.address - b.address);
    if (after.length === 0) return { error: `no code at or after line ${line}` };
    const target = after[0].line;
    return { line: target, addresses: [after.find((l) => l.line === target)?.address ?? after[0].address] };
  }

  addressToLine(linear: number): SourcePlace | undefined {
    for (const l of this.lines) {
      if (linear >= l.address && linear < l.address + l.size) return { path: l.path, line: l.line, start: l.address };
    }
    return undefined;
  }

  lookupSymbol(name: string): number | undefined {
    return this.labels.get(name);
  }

  symbolAt(linear: number): { name: string; offset: number } | undefined {
    let best: { name: string; offset: number } | undefined;
    for (const [name, address] of this.labels) {
      const offset = linear - address;
      if (offset >= 0 && offset < 0x10000 && (!best || offset < best.offset)) best = { name, offset };
    }
    return best;
  }
}
