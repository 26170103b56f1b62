// The one opcode table: index = opcode for one-byte opcodes, 0x100 | byte for
// the 0F two-byte map. Each group file installs its handlers, named after the
// encoding they implement (Intel's operand notation: Eb, Gv, Iz ...).

import { Cpu, OpHandler } from '../cpu';
import { Unimplemented } from '../faults';
import { installArith } from './arith';
import { installBcd } from './bcd';
import { installBits } from './bits';
import { installControl } from './control';
import { installMisc } from './misc';
import { installMove } from './move';
import { installMulDiv } from './muldiv';
import { installShift } from './shift';
import { installStack } from './stack';
import { installString } from './string';
import { installSystem } from './system';

export type OpTable = OpHandler[];

/** Any opcode no group claims: the core does not implement it, and says so. */
function opNotImplemented(_cpu: Cpu): void {
  throw new Unimplemented('instruction not implemented');
}

/** A group member (a reg field of 80-83, C0/C1, D0-D3, F6/F7, FE/FF, 0F 00/01/BA/C7) no file claims. */
function groupMemberNotImplemented(_cpu: Cpu): void {
  throw new Unimplemented('instruction not implemented');
}

const groupTables = new WeakMap<OpTable, Map<number, OpHandler[]>>();

/** Defines an opcode exactly once: a second definition is a bug in the table. */
export function define(table: OpTable, index: number, handler: OpHandler): void {
  if (table[index] !== opNotImplemented) {
    throw new Error(`opcode ${index.toString(16)} defined twice`);
  }
  table[index] = handler;
}

/**
 * Defines member `reg` of an opcode group: the group's handler reads the ModRM
 * byte and dispatches on its reg field, so members are called with `modrm`,
 * `eaSeg` and `eaOff` already decoded.
 */
export function defineGroup(table: OpTable, index: number, reg: number, handler: OpHandler): void {
  let groups = groupTables.get(table);
  if (!groups) {
    groups = new Map();
    groupTables.set(table, groups);
  }
  let members = groups.get(index);
  if (!members) {
    const created = new Array<OpHandler>(8).fill(groupMemberNotImplemented);
    members = created;
    groups.set(index, created);
    define(table, index, (cpu) => {
      cpu.decodeModRm();
      created[(cpu.modrm >> 3) & 7](cpu);
    });
  }
  if (members[reg] !== groupMemberNotImplemented) {
    throw new Error(`opcode ${index.toString(16)} /${reg} defined twice`);
  }
  members[reg] = handler;
}

export function buildOpTable(): readonly OpHandler[] {
  const table: OpTable = new Array<OpHandler>(0x200).fill(opNotImplemented);
  // 0F: the escape to the two-byte map.
  define(table, 0x0f, (cpu) => cpu.ops[0x100 | cpu.fetch8()](cpu));
  installArith(table);
  installMove(table);
  installControl(table);
  installStack(table);
  installMisc(table);
  installString(table);
  installShift(table);
  installMulDiv(table);
  installBcd(table);
  installBits(table);
  installSystem(table);
  return table;
}
