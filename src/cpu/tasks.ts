// Hardware task switching (SDM vol. 3 ch. 7): JMP and CALL to a TSS or a
// task gate, interrupts through task gates and IRET with NT set. Not
// implemented yet: reaching one ends the run with an internal error.

import type { Cpu } from './cpu';
import { Unimplemented } from './faults';
import type { Descriptor } from './segments';

/** What started a task switch: it decides the busy bits, NT and the back link (SDM vol. 3 table 7-2). */
export type TaskSwitchKind = 'jmp' | 'call' | 'interrupt' | 'iret';

/** Switch to the task `selector` names (a TSS descriptor or a task gate, already read as `d`). */
export function switchTask(_cpu: Cpu, selector: number, d: Descriptor, kind: TaskSwitchKind): void {
  const what = (d.attributes & 0xf) === 0x5 ? 'task gate' : 'TSS';
  throw new Unimplemented(`a task switch by ${kind} to the ${what} ${selector.toString(16)}h`);
}
