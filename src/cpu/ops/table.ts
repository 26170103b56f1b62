// The one opcode table: index = opcode for one-byte opcodes, 0x100 | byte for
// the 0F two-byte map. Each group file installs its handlers, named after the
// encoding they implement (Intel's operand notation: Eb, Gv, Iz ...). The
// encodings no handler implements come from ./encodings.ts: invalid ones
// raise #UD, valid unimplemented ones end the run with an internal error.
// Every opcode and group member is one of the three, checked when the table
// is built.

import { Cpu, OpHandler } from '../cpu';
import { Unimplemented } from '../faults';
import { installX87 } from '../fpu/install';
import { installArith } from './arith';
import { installBcd } from './bcd';
import { installBits } from './bits';
import { installControl } from './control';
import { INVALID_ENCODINGS, PREFIX_OPCODES, UNIMPLEMENTED_ENCODINGS, encodingName } from './encodings';
import { installMisc } from './misc';
import { installMove } from './move';
import { installMulDiv } from './muldiv';
import { installShift } from './shift';
import { installStack } from './stack';
import { installString } from './string';
import { installSystem } from './system';

export type OpTable = OpHandler[];

/** The initial entry of every opcode; none may remain once the table is built. */
function opNotImplemented(_cpu: Cpu): void {
  throw new Unimplemented('instruction not implemented');
}

/** The initial entry of a group member (a reg field of FE/FF, C6/C7, 0F 00/01/BA/C7). */
function groupMemberNotImplemented(_cpu: Cpu): void {
  throw new Unimplemented('instruction not implemented');
}

/** An encoding of INVALID_ENCODINGS that is invalid whatever its ModRM: #UD. */
function opInvalid(cpu: Cpu): void {
  cpu.undefinedOpcode();
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
  installX87(table);
  installEncodingTable(table);
  return table;
}

/**
 * Installs the invalid ('always') and unimplemented encodings of
 * ./encodings.ts, then checks that no opcode or group member is left
 * unclassified: a new opcode needs a handler or an entry there.
 */
function installEncodingTable(table: OpTable): void {
  for (const e of INVALID_ENCODINGS) {
    if (e.form !== 'always') continue;
    if (e.regs === 0xff) define(table, e.index, opInvalid);
    else for (let reg = 0; reg < 8; reg++) if (e.regs & (1 << reg)) defineGroup(table, e.index, reg, opInvalid);
  }
  for (const e of UNIMPLEMENTED_ENCODINGS) {
    const message = `${e.name} (${encodingName(e.index)}) is not implemented`;
    define(table, e.index, () => {
      throw new Unimplemented(message);
    });
  }
  const unclassified: string[] = [];
  table.forEach((h, index) => {
    if (h === opNotImplemented && !PREFIX_OPCODES.includes(index)) unclassified.push(encodingName(index));
  });
  for (const [index, members] of groupTables.get(table) ?? []) {
    members.forEach((h, reg) => {
      if (h === groupMemberNotImplemented) unclassified.push(encodingName(index, reg));
    });
  }
  if (unclassified.length > 0) {
    throw new Error(`opcodes neither implemented nor in ops/encodings.ts: ${unclassified.join(', ')}`);
  }
}
