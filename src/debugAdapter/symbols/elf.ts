// ELF32/ELF64 (little-endian, as on x86) reading for the symbol layer:
// section headers, .symtab/.strtab, and the debug sections with the
// relocations of a relocatable object (.o) applied, so .debug_line's
// addresses and string offsets mean the same in a .o as in a linked file.
//
// A relocatable object has no addresses: its allocated sections are laid
// out here one after another from 0 (each aligned to sh_addralign), the
// way a linker would place a lone object; a `linear` load then moves the
// whole layout so that .text lands at the given address.

import type { RawSymbol, SymbolKind } from './types';

export const ET_REL = 1;
const SHT_SYMTAB = 2;
const SHT_RELA = 4;
const SHT_NOBITS = 8;
const SHT_REL = 9;
const SHF_ALLOC = 0x2;
const SHF_EXECINSTR = 0x4;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const SHN_COMMON = 0xfff2;
const EM_386 = 3;
const EM_X86_64 = 62;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** sh_addr, or the address this reader gave it in a relocatable object. */
  address: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

export class ElfFile {
  readonly is64: boolean;
  readonly type: number;
  readonly machine: number;
  readonly sections: ElfSection[] = [];
  private readonly view: DataView;

  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
  ) {
    if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new Error(`${name} is not an ELF file`);
    }
    if (bytes[4] !== 1 && bytes[4] !== 2) throw new Error(`${name}: unknown ELF class ${bytes[4]}`);
    if (bytes[5] !== 1) throw new Error(`${name}: big-endian ELF files are not supported`);
    this.is64 = bytes[4] === 2;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.type = this.u16(16);
    this.machine = this.u16(18);
    const shoff = this.is64 ? this.u64(0x28) : this.u32(0x20);
    const shentsize = this.u16(this.is64 ? 0x3a : 0x2e);
    let shnum = this.u16(this.is64 ? 0x3c : 0x30);
    let shstrndx = this.u16(this.is64 ? 0x3e : 0x32);
    if (shoff === 0) return;
    if (shoff + shentsize > bytes.length) throw new Error(`${name}: section header table at 0x${shoff.toString(16)} is past the end of the file`);
    if (shnum === 0) shnum = this.sectionHeader(shoff, 0).size; // extended numbering
    if (shstrndx === 0xffff) shstrndx = this.sectionHeader(shoff, 0).link;
    if (shoff + shnum * shentsize > bytes.length) throw new Error(`${name}: section header table is truncated`);
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      nameOffsets.push(this.u32(shoff + i * shentsize));
      this.sections.push(this.sectionHeader(shoff + i * shentsize, i));
    }
    const strtab = this.sections[shstrndx];
    this.sections.forEach((s, i) => (s.name = strtab ? this.cstring(strtab.offset + nameOffsets[i]) : ''));
    if (this.type === ET_REL) {
      let cursor = 0;
      for (const s of this.sections) {
        if (!(s.flags & SHF_ALLOC)) continue;
        const a = Math.max(1, s.align);
        cursor = Math.ceil(cursor / a) * a;
        s.address = cursor;
        cursor += s.size;
      }
    }
  }

  get machineName(): string {
    return this.machine === EM_386 ? 'i386' : this.machine === EM_X86_64 ? 'x86-64' : `machine ${this.machine}`;
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The section code is anchored to: .text, else the first executable section. */
  codeSection(): ElfSection | undefined {
    const text = this.section('.text');
    if (text && text.size > 0) return text;
    return this.sections.find((s) => s.flags & SHF_ALLOC && s.flags & SHF_EXECINSTR && s.size > 0) ?? text;
  }

  /** A section's contents (a copy, with its relocations applied in a relocatable object). */
  contents(s: ElfSection): Uint8Array {
    if (s.type === SHT_NOBITS) return new Uint8Array(0);
    if (s.offset + s.size > this.bytes.length) throw new Error(`${this.name}: section ${s.name} is truncated`);
    const data = this.bytes.slice(s.offset, s.offset + s.size);
    if (this.type === ET_REL) this.relocate(s, data);
    return data;
  }

  /** Defined symbols of .symtab (linked: absolute; relocatable: at this reader's layout). */
  symbols(): RawSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const strtab = this.sections[symtab.link];
    const out: RawSymbol[] = [];
    const entsize = this.is64 ? 24 : 16;
    for (let off = symtab.offset + entsize; off + entsize <= symtab.offset + symtab.size; off += entsize) {
      const sym = this.symbol(off);
      const type = sym.info & 0xf;
      if (sym.shndx === SHN_UNDEF || sym.shndx === SHN_COMMON || type === 3 /* SECTION */ || type === 4 /* FILE */) continue;
      const name = strtab ? this.cstring(strtab.offset + sym.name) : '';
      if (name === '') continue;
      let kind: SymbolKind = type === 2 ? 'function' : type === 1 ? 'object' : 'label';
      let value = sym.value;
      if (sym.shndx === SHN_ABS) kind = 'constant';
      else if (this.type === ET_REL) value += this.sections[sym.shndx]?.address ?? 0;
      out.push({ name, value, kind, ...(sym.size > 0 ? { size: sym.size } : {}), ...(sym.info >> 4 === 0 ? { local: true } : {}) });
    }
    return out;
  }

  private relocate(target: ElfSection, data: Uint8Array): void {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (const rs of this.sections) {
      if ((rs.type !== SHT_REL && rs.type !== SHT_RELA) || rs.info !== target.index) continue;
      const rela = rs.type === SHT_RELA;
      const symtab = this.sections[rs.link];
      const entsize = rs.entsize || (this.is64 ? (rela ? 24 : 16) : rela ? 12 : 8);
      const symsize = this.is64 ? 24 : 16;
      for (let off = rs.offset; off + entsize <= rs.offset + rs.size; off += entsize) {
        const where = this.is64 ? this.u64(off) : this.u32(off);
        const info = this.is64 ? this.u64(off + 8) : this.u32(off + 4);
        const symIndex = this.is64 ? Math.floor(info / 2 ** 32) : info >>> 8;
        const type = this.is64 ? info % 2 ** 32 : info & 0xff;
        const width = relocationWidth(this.machine, type);
        if (width === 0 || where + width > data.length || !symtab) continue;
        const sym = this.symbol(symtab.offset + symIndex * symsize);
        const symSection = sym.shndx !== SHN_UNDEF && sym.shndx < 0xff00 ? this.sections[sym.shndx] : undefined;
        const s = sym.value + (symSection && symSection.flags & SHF_ALLOC ? symSection.address : 0);
        let addend: number;
        if (rela) addend = this.is64 ? Number(this.view.getBigInt64(off + 16, true)) : this.view.getInt32(off + 8, true);
        else addend = width === 8 ? Number(dv.getBigUint64(where, true)) : dv.getUint32(where, true);
        const v = s + addend;
        if (width === 8) dv.setBigUint64(where, BigInt.asUintN(64, BigInt(v)), true);
        else dv.setUint32(where, v >>> 0, true);
      }
    }
  }

  private sectionHeader(off: number, index: number): ElfSection {
    const is64 = this.is64;
    const w = is64 ? 8 : 4;
    const word = (o: number) => (is64 ? this.u64(o) : this.u32(o));
    return {
      index,
      name: '',
      type: this.u32(off + 4),
      flags: word(off + 8),
      address: word(off + 8 + w),
      offset: word(off + 8 + 2 * w),
      size: word(off + 8 + 3 * w),
      link: this.u32(off + 8 + 4 * w),
      info: this.u32(off + 12 + 4 * w),
      align: word(off + 16 + 4 * w),
      entsize: word(off + 16 + 5 * w),
    };
  }

  private symbol(off: number): { name: number; value: number; size: number; info: number; shndx: number } {
    if (this.is64) {
      return { name: this.u32(off), info: this.bytes[off + 4], shndx: this.u16(off + 6), value: this.u64(off + 8), size: this.u64(off + 16) };
    }
    return { name: this.u32(off), value: this.u32(off + 4), size: this.u32(off + 8), info: this.bytes[off + 12], shndx: this.u16(off + 14) };
  }

  private u16(o: number): number {
    return this.view.getUint16(o, true);
  }
  private u32(o: number): number {
    return this.view.getUint32(o, true);
  }
  private u64(o: number): number {
    return Number(this.view.getBigUint64(o, true));
  }
  private cstring(o: number): string {
    let end = o;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    return Buffer.from(this.bytes.subarray(o, end)).toString('utf8');
  }
}

/** Bytes written by the absolute relocations debug sections use; 0 for the rest. */
function relocationWidth(machine: number, type: number): number {
  if (machine === EM_386) return type === 1 /* R_386_32 */ ? 4 : 0;
  if (machine === EM_X86_64) {
    if (type === 1 /* R_X86_64_64 */) return 8;
    if (type === 10 /* R_X86_64_32 */ || type === 11 /* R_X86_64_32S */) return 4;
  }
  return 0;
}
