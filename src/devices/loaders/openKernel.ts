// --kernel FILE: what kind of kernel a file is, by its headers, and the
// loader for it. Checked in QEMU's order: a Linux setup header ("HdrS" at
// 202h) makes it a Linux kernel, otherwise a Multiboot 1 header in the first
// 8 KiB, otherwise a Multiboot 2 header in the first 32 KiB. Anything else is
// refused, naming the headers looked for.

import { DirectBoot, KernelImageError, KernelModule, KernelRequest } from './directBoot';
import { prepareLinux } from './linux';
import { findMultiboot1Header, prepareMultiboot1 } from './multiboot1';
import { findMultiboot2Header, prepareMultiboot2 } from './multiboot2';

export { KernelImageError };
export type { DirectBoot, KernelModule, KernelRequest };

/** "HdrS", the Linux setup header's signature at offset 202h. */
export function hasLinuxHeader(file: Uint8Array): boolean {
  return file.length >= 0x206 && file[0x202] === 0x48 && file[0x203] === 0x64 && file[0x204] === 0x72 && file[0x205] === 0x53;
}

/** Lay out the kernel of `request` (a KernelImageError for anything that cannot boot). */
export function openKernel(request: KernelRequest): DirectBoot {
  const file = request.bytes;
  if (hasLinuxHeader(file)) return prepareLinux(request);
  const mb1 = findMultiboot1Header(file);
  if (mb1) return prepareMultiboot1(request, mb1);
  const mb2 = findMultiboot2Header(file);
  if (mb2) return prepareMultiboot2(request, mb2);
  throw new KernelImageError(
    `${request.path}: not a kernel vmexit can boot: no Multiboot header (1BADB002h in the first 8 KiB, E85250D6h in the first 32 KiB) and no Linux setup header ('HdrS' at 202h)`,
  );
}
