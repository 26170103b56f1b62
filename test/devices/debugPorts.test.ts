import { strict as assert } from 'node:assert';
import { DebugConsole, IsaDebugExit, PostCodePort, SystemControlPortA } from '../../src/devices/debugPorts';

describe('debug ports', () => {
  it('0xE9 outputs bytes and reads back 0xE9', () => {
    const out: number[] = [];
    const con = new DebugConsole((b) => out.push(b));
    con.ioWrite(0xe9, 1, 0x41);
    con.ioWrite(0xe9, 2, 0x0a42);
    assert.deepEqual(out, [0x41, 0x42, 0x0a]);
    assert.equal(con.ioRead(0xe9, 1), 0xe9);
    assert.equal(con.describe().bytesWritten, 3);
  });

  it('isa-debug-exit reports (v << 1) | 1 for every access size', () => {
    const statuses: number[] = [];
    const exit = new IsaDebugExit((s) => statuses.push(s));
    exit.ioWrite(0xf4, 1, 0x00);
    exit.ioWrite(0xf4, 1, 0x10);
    exit.ioWrite(0xf4, 2, 0x1234);
    exit.ioWrite(0xf4, 4, 0x7fffffff);
    exit.ioWrite(0xf4, 1, 0x1ff);
    assert.deepEqual(statuses, [1, 0x21, 0x2469, 0xffffffff, 0x1ff]);
    assert.equal(exit.exitStatus, 0x1ff);
    assert.deepEqual(JSON.parse(JSON.stringify(exit.saveState())), { exitStatus: 0x1ff });
  });

  it('port 0x80 remembers the last POST code', () => {
    const codes: number[] = [];
    const post = new PostCodePort((c) => codes.push(c));
    assert.equal(post.lastCode, null);
    post.ioWrite(0x80, 1, 0x55);
    post.ioWrite(0x80, 1, 0xaa);
    assert.equal(post.ioRead(0x80, 1), 0xaa);
    assert.deepEqual(codes, [0x55, 0xaa]);
  });

  it('port 0x92 gates A20 on bit 1 and resets on bit 0', () => {
    const a20: boolean[] = [];
    let resets = 0;
    const port = new SystemControlPortA({ setA20: (e) => a20.push(e), requestReset: () => resets++ });
    assert.equal(port.ioRead(0x92, 1), 0x00);
    port.ioWrite(0x92, 1, port.ioRead(0x92, 1) | 0x02);
    assert.deepEqual(a20, [true]);
    assert.equal(port.ioRead(0x92, 1), 0x02);
    port.ioWrite(0x92, 1, 0x02); // unchanged: no callback
    assert.deepEqual(a20, [true]);
    port.ioWrite(0x92, 1, 0x03);
    assert.equal(resets, 1);
    assert.equal(port.ioRead(0x92, 1), 0x02, 'bit 0 reads back 0');
    port.syncA20(false);
    assert.equal(port.ioRead(0x92, 1), 0x00);
    const copy = new SystemControlPortA({ setA20: () => {}, requestReset: () => {} });
    port.ioWrite(0x92, 1, 0xc2);
    copy.loadState(JSON.parse(JSON.stringify(port.saveState())));
    assert.equal(copy.ioRead(0x92, 1), 0xc2);
  });
});
