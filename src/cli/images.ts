// The user's image files for `vmexit run`: the shared rules of
// src/vmm/hostImages.ts, worded for the command line. Images are read once;
// the guest's writes stay in memory and reach the files only with --persist.

import { RunOptions, UserError } from './args';
import { HostFileError, ImageLabels, OpenedImages, openImages, persistImages } from '../vmm/hostImages';

const CLI_LABELS: ImageLabels = {
  image: 'image',
  fda: 'image',
  hda: 'image',
  twoFloppies: 'two floppy images given (the image argument and --fda)',
  twoHardDisks: 'two hard-disk images given (the image argument and --hda)',
  bootAWithoutFloppy: '--boot a but there is no floppy image',
  bootCWithoutHardDisk: '--boot c but there is no hard-disk image',
  bootDWithoutCdrom: '--boot d but there is no CD-ROM image',
  twoCdroms: 'two CD-ROM images given (the image argument, an ISO, and --cdrom)',
  cdrom: 'CD-ROM image',
  kernel: '--kernel',
  append: '--append',
  initrd: '--initrd',
};

/** The disks, the kernel (and the BIOS ROM, unless it is the built-in one) the options name; bad input is a UserError. */
export function openDisks(options: RunOptions): OpenedImages {
  try {
    return openImages({ ...options, memoryBytes: options.memoryMiB * 1024 * 1024 }, CLI_LABELS);
  } catch (e) {
    if (e instanceof HostFileError) throw new UserError(e.message);
    throw e;
  }
}

/** --persist: write the sectors the guest changed back into the image files. */
export const persistDisks = persistImages;
