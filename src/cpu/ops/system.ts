// Placeholder: this group's handlers are being written; until then its opcodes end a run with an internal error.

import { OpTable } from './table';

export function installSystem(_t: OpTable): void {}
