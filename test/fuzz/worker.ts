// The fuzzer's worker thread: runs the streams the main thread gives it and
// reports each one, beating a shared heartbeat before every Vcpu.run call so
// the watchdog in ./cpuFuzz.ts can tell a hang from slow progress.

import { parentPort, workerData } from 'node:worker_threads';
import { emptyStats, runStream, shrinkStream } from './cpuStream';
import type { WorkerRequest, WorkerReply } from './cpuFuzz';

const heartbeat = new Int32Array(workerData.heartbeat as SharedArrayBuffer);
const beat = () => {
  Atomics.add(heartbeat, 0, 1);
};
const post = (m: WorkerReply) => parentPort?.postMessage(m);

parentPort?.on('message', (req: WorkerRequest) => {
  if (req.type === 'shrink') {
    const crash = shrinkStream(req.options, (rep) => {
      beat();
      post({ type: 'step', reproducer: rep });
    });
    post({ type: 'shrunk', crash });
    return;
  }
  for (const stream of req.streams) {
    post({ type: 'start', stream });
    const stats = emptyStats();
    const crash = runStream({ ...req.options, stream, beforeRun: beat }, stats);
    post({ type: 'stream', stream, stats, crash });
  }
  post({ type: 'idle' });
});
