// F5 without a launch.json: the DebugConfigurationProvider fills a launch
// configuration from the active editor. An `.asm`/`.nasm` source is
// assembled with NASM (`-f bin -l`) into a `build` folder beside it (in the
// workspace folder when the file is in one), and its listing becomes the
// symbols, so breakpoints in the source work at once. An image (`.img`,
// `.bin`, `.ima`, `.flp`, `.iso`) is booted as it is: a floppy-sized image
// or a boot sector from drive A:, anything larger as the first hard disk
// (an isohybrid ISO boots that way too).

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assembleWithNasm, buildFolderFor } from './nasm';
import { DEBUG_TYPE } from './sessionWatcher';

const SOURCE_EXTENSIONS = new Set(['.asm', '.nasm']);
const IMAGE_EXTENSIONS = new Set(['.img', '.bin', '.ima', '.flp', '.iso', '.raw']);
/** The largest floppy image (2.88M); bigger images are hard disks. */
const MAX_FLOPPY_BYTES = 2949120;

function isSource(file: string): boolean {
  return SOURCE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

function isImage(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

export class VmexitConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly log: vscode.OutputChannel) {}

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | null | undefined> {
    // A configuration from launch.json always has a `request`: it is the
    // user's, pass it on. F5 without one brings an empty configuration (or
    // one with only the type, depending on how the debugger was picked).
    if (config.request) return config;
    const editor = vscode.window.activeTextEditor;
    const file = editor?.document.uri.scheme === 'file' ? editor.document.uri.fsPath : undefined;
    if (!file || (!isSource(file) && !isImage(file) && editor?.document.languageId !== 'nasm')) {
      await vscode.window.showInformationMessage(
        'vmexit: open a boot sector source (.asm) or a disk image (.img, .bin, .iso) and press F5 again, or create a launch.json (Run and Debug → "create a launch.json file").',
      );
      return undefined;
    }
    const workspaceFolder = folder?.uri.fsPath ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
    const name = path.basename(file);
    if (isImage(file)) return imageConfiguration(file, workspaceFolder);
    if (editor?.document.isDirty) await editor.document.save();
    const nasm = vscode.workspace.getConfiguration('vmexit').get<string>('nasmPath') || 'nasm';
    try {
      const built = assembleWithNasm(nasm, file, buildFolderFor(file, workspaceFolder));
      this.log.appendLine(`assembled ${file} -> ${built.image} (listing ${built.listing})`);
      return {
        type: DEBUG_TYPE,
        request: 'launch',
        name: `Debug ${name}`,
        image: built.image,
        // The listing sits in the build folder, the source elsewhere: name it.
        symbols: [{ path: built.listing, source: file }],
        cwd: workspaceFolder ?? path.dirname(file),
      };
    } catch (e) {
      await reportFailure(e, this.log);
      return undefined;
    }
  }

  resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    return assembleConfiguredSource(config, folder?.uri.fsPath, this.log);
  }
}

/**
 * A launch.json whose `image` (or `fda`) is an `.asm` source: assemble it
 * first, so the configuration needs no build task. Runs after `${…}`
 * variables are substituted.
 */
export async function assembleConfiguredSource(config: vscode.DebugConfiguration, folder: string | undefined, log: vscode.OutputChannel): Promise<vscode.DebugConfiguration | undefined> {
  for (const key of ['image', 'fda'] as const) {
    const value: unknown = config[key];
    if (typeof value !== 'string' || !isSource(value)) continue;
    const source = path.resolve(typeof config.cwd === 'string' ? config.cwd : folder ?? process.cwd(), value);
    const nasm = vscode.workspace.getConfiguration('vmexit').get<string>('nasmPath') || 'nasm';
    try {
      const built = assembleWithNasm(nasm, source, buildFolderFor(source, folder));
      log.appendLine(`assembled ${source} -> ${built.image} (listing ${built.listing})`);
      const symbols: unknown[] = config.symbols === undefined ? [] : Array.isArray(config.symbols) ? [...config.symbols] : [config.symbols];
      return { ...config, [key]: built.image, symbols: [...symbols, { path: built.listing, source }] };
    } catch (e) {
      await reportFailure(e, log);
      return undefined;
    }
  }
  return config;
}

async function reportFailure(e: unknown, log: vscode.OutputChannel): Promise<void> {
  const text = e instanceof Error ? e.message : String(e);
  log.appendLine(text);
  const choice = await vscode.window.showErrorMessage(`vmexit: ${text.split('\n')[0]}`, 'Show Output');
  if (choice === 'Show Output') log.show(true);
}

function imageConfiguration(file: string, workspaceFolder: string | undefined): vscode.DebugConfiguration {
  const size = fs.statSync(file).size;
  const base = { type: DEBUG_TYPE, request: 'launch', name: `Boot ${path.basename(file)}`, cwd: workspaceFolder ?? path.dirname(file) };
  return size <= MAX_FLOPPY_BYTES ? { ...base, image: file } : { ...base, hda: file, boot: 'c' };
}
