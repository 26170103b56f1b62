// The x87's slots in the opcode table: the escapes D8-DF and WAIT (9B).
// Nothing is added to the integer instructions' path: the handlers run only
// from their own slots.

import type { Cpu } from '../cpu';
import { GuestFault } from '../faults';
import { OpTable, define } from '../ops/table';
import { CR0_MP, CR0_TS, VEC_NM } from '../state';
import { escapeD8, escapeDA, escapeDC, escapeDE } from './arith';
import { escapeD9, escapeDB, escapeDD, escapeDF } from './loadStore';
import { reportPending } from './unit';

/** 9B WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; then a pending unmasked x87 exception is reported. */
function opWait(cpu: Cpu): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) throw new GuestFault(VEC_NM, -1);
  if (cpu.fpu.pending) reportPending(cpu);
}

export function installX87(t: OpTable): void {
  define(t, 0x9b, opWait);
  define(t, 0xd8, escapeD8);
  define(t, 0xd9, escapeD9);
  define(t, 0xda, escapeDA);
  define(t, 0xdb, escapeDB);
  define(t, 0xdc, escapeDC);
  define(t, 0xdd, escapeDD);
  define(t, 0xde, escapeDE);
  define(t, 0xdf, escapeDF);
}
