// The extension's parts that need no VS Code: assembling with NASM for F5
// without a launch.json, the memory dump text, and the manifest's launch.json
// schema agreeing with the arguments the adapter accepts.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDump } from '../../src/extension/hexDump';
import { assembleWithNasm, buildFolderFor, NASM_MISSING } from '../../src/extension/nasm';
import { parseLaunchArguments } from '../../src/debugAdapter/launchConfig';

const root = path.resolve(__dirname, '../..');

describe('extension: NASM, hex dumps, the manifest', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmexit-ext-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('puts the build in the workspace folder, or beside a file outside it', () => {
    assert.equal(buildFolderFor('/w/src/boot.asm', '/w'), path.join('/w', 'build'));
    assert.equal(buildFolderFor('/elsewhere/boot.asm', '/w'), path.join('/elsewhere', 'build'));
    assert.equal(buildFolderFor('/x/boot.asm', undefined), path.join('/x', 'build'));
  });

  it('assembles a source into an image and a listing, and reports NASM errors and a missing NASM', () => {
    const src = path.join(dir, 'boot.asm');
    fs.writeFileSync(src, 'org 0x7c00\nstart: jmp start\ntimes 510-($-$$) db 0\ndw 0xaa55\n');
    const built = assembleWithNasm('nasm', src, path.join(dir, 'build'));
    const image = fs.readFileSync(built.image);
    assert.equal(image.length, 512);
    assert.deepEqual([...image.subarray(0, 2)], [0xeb, 0xfe]);
    assert.match(fs.readFileSync(built.listing, 'utf8'), /jmp start/);

    const bad = path.join(dir, 'bad.asm');
    fs.writeFileSync(bad, 'org 0x7c00\n  mov ax, nosuchlabel\n');
    assert.throws(() => assembleWithNasm('nasm', bad, path.join(dir, 'build')), /NASM could not assemble bad\.asm:\n.*bad\.asm:2: error/);
    assert.throws(() => assembleWithNasm('/nonexistent/nasm', src, path.join(dir, 'build')), (e: Error) => e.message === NASM_MISSING);
  });

  it('formats memory as address, hex and ASCII, with ?? for unreadable bytes', () => {
    const bytes: (number | null)[] = [...Buffer.from('Hello, boot sector')];
    bytes.push(null, null);
    const text = formatDump(0x7c00, bytes);
    assert.equal(
      text,
      '00007C00  48 65 6C 6C 6F 2C 20 62  6F 6F 74 20 73 65 63 74  |Hello, boot sect|\n' +
        '00007C10  6F 72 ?? ??                                       |or..|\n',
    );
  });

  it('declares in launch.json every argument the adapter accepts, and each declared one is accepted', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      main: string;
      contributes: { debuggers: { type: string; configurationAttributes: { launch: { properties: Record<string, { description?: string }> } } }[] };
    };
    assert.equal(manifest.main, './dist/extension.js');
    const props = manifest.contributes.debuggers[0].configurationAttributes.launch.properties;
    for (const [name, p] of Object.entries(props)) assert.ok(p.description && p.description.length > 20, `${name} has a description`);
    // The adapter names its known arguments in the message for an unknown one.
    let known: string[] = [];
    try {
      parseLaunchArguments({ image: 'x', surelyUnknown: 1 });
    } catch (e) {
      known = /known: ([^)]*)\)/.exec((e as Error).message)?.[1].split(', ') ?? [];
    }
    assert.ok(known.length > 5, 'the adapter lists its arguments');
    assert.deepEqual([...Object.keys(props)].sort(), [...known].sort());
  });
});
