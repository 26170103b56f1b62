// Map files: NASM's (`[map all file.map]` / `[map symbols file.map]`, bin
// format only) and GNU ld's (`-Map=file.map`). Both give symbol values; no
// line information.
//
// NASM map layout (sections separated by "-- Title ---..." rules):
//   -- Program origin --        one hex number
//   -- Sections (summary) --    Vstart Start Stop Length Class Name
//   -- Symbols --
//   ---- No Section ----        Value Name                (EQU constants)
//   ---- Section .text ----     Real Virtual Name         (labels)
// Numbers are hex without a prefix.
//
// GNU ld map: everything after "Linker script and memory map" describes the
// output: an output section starts in column 0 (`.text 0x00100000 0x2b`,
// or its name alone with the numbers on the next line), input sections are
// indented by one space, and a symbol is an indented `0xADDRESS name` line;
// script assignments (`0x... _end = .`) define symbols too. The "Discarded
// input sections" part before that heading is skipped.

import type { ParsedSymbols, RawSymbol } from './types';

export function isNasmMap(text: string): boolean {
  return /^\s*- NASM Map file -/m.test(text.slice(0, 400));
}

export function isLdMap(text: string): boolean {
  return /^Linker script and memory map\s*$/m.test(text) || /^Memory Configuration\s*$/m.test(text.slice(0, 4000));
}

export function parseNasmMap(mapPath: string, text: string): ParsedSymbols {
  const symbols: RawSymbol[] = [];
  const warnings: string[] = [];
  let part = '';
  let section = '';
  let origin: number | undefined;
  const sectionStarts: { name: string; vstart: number; length: number; cls: string }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^-- (.+?) -+$/.exec(line))) {
      part = m[1].toLowerCase();
      section = '';
      continue;
    }
    if ((m = /^---- (.+?) -+$/.exec(line))) {
      section = m[1];
      continue;
    }
    if (line === '') continue;
    if (part === 'program origin') {
      if (/^[0-9A-Fa-f]+$/.test(line)) origin = parseInt(line, 16);
    } else if (part === 'sections (summary)') {
      m = /^([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\S+)\s+(\S+)$/.exec(line);
      if (m) sectionStarts.push({ vstart: parseInt(m[1], 16), length: parseInt(m[4], 16), cls: m[5], name: m[6] });
    } else if (part === 'symbols') {
      if (section === 'No Section') {
        m = /^([0-9A-Fa-f]+)\s+(\S+)$/.exec(line);
        if (m) symbols.push({ name: m[2], value: parseInt(m[1], 16), kind: 'constant' });
      } else if (section.startsWith('Section ')) {
        m = /^([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\S+)$/.exec(line);
        if (m) symbols.push({ name: m[3], value: parseInt(m[2], 16), kind: 'label' });
      }
    }
  }
  if (!isNasmMap(text)) throw new Error(`${mapPath} is not a NASM map file`);
  if (symbols.length === 0) warnings.push(`${mapPath}: no symbols (write the map with [map all ...] or [map symbols ...])`);
  const text0 = sectionStarts.find((s) => s.name === '.text' && s.length > 0) ?? sectionStarts.find((s) => s.cls === 'progbits');
  return { format: 'nasm-map', lines: [], symbols, anchor: text0?.vstart ?? origin, warnings };
}

const IDENT_RE = /^[A-Za-z_.$?@][\w.$?@]*$/;

export function parseLdMap(mapPath: string, text: string): ParsedSymbols {
  const symbols: RawSymbol[] = [];
  const warnings: string[] = [];
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^Linker script and memory map\s*$/.test(l));
  if (start < 0) throw new Error(`${mapPath} is not a GNU ld map file (no "Linker script and memory map" part)`);
  let pendingOutput: string | null = null;
  let outputSection = '';
  const outputs: { name: string; address: number; size: number }[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (/^Cross Reference Table/.test(line)) break;
    let m: RegExpExecArray | null;
    // Output section, numbers on the same line or on the next one.
    if ((m = /^(\S+)\s+0x([0-9A-Fa-f]+)\s+0x([0-9A-Fa-f]+)/.exec(line)) || (pendingOutput && (m = /^\s+0x([0-9A-Fa-f]+)\s+0x([0-9A-Fa-f]+)/.exec(line)))) {
      const name = pendingOutput ?? m[1];
      const address = parseInt(pendingOutput ? m[1] : m[2], 16);
      const size = parseInt(pendingOutput ? m[2] : m[3], 16);
      outputs.push({ name, address, size });
      outputSection = name;
      pendingOutput = null;
      continue;
    }
    pendingOutput = null;
    if ((m = /^(\.\S*|[A-Za-z_]\S*)\s*$/.exec(line)) && !/^(LOAD|OUTPUT|START|END)\b/.test(line)) {
      pendingOutput = m[1];
      outputSection = m[1];
      continue;
    }
    // `0xADDR name` (a symbol) or `0xADDR name = expr` (an assignment).
    if ((m = /^\s+0x([0-9A-Fa-f]+)\s+(?:PROVIDE\s*\(\s*)?([^\s=()]+)\s*(=.*)?$/.exec(line))) {
      const name = m[2];
      if (name === '.' || !IDENT_RE.test(name)) continue;
      if (m[3] === undefined && outputSection === '') continue;
      const value = parseAddress(m[1], warnings, mapPath, name);
      symbols.push({ name, value, kind: 'label' });
    }
  }
  const text0 = outputs.find((o) => o.name === '.text' && o.size > 0) ?? outputs.filter((o) => o.size > 0).sort((a, b) => a.address - b.address)[0];
  if (symbols.length === 0) warnings.push(`${mapPath}: no symbols found`);
  return { format: 'ld-map', lines: [], symbols, anchor: text0?.address, warnings };
}

function parseAddress(hex: string, warnings: string[], file: string, name: string): number {
  const v = parseInt(hex, 16);
  if (v > Number.MAX_SAFE_INTEGER) warnings.push(`${file}: ${name} = 0x${hex} is beyond 2^53 and kept approximately`);
  return v;
}
