// The debug adapter's entry point (`node dist/debugAdapter.js`): DAP over
// stdin/stdout, as VS Code starts it.

import { DebugSession } from '@vscode/debugadapter';
import { VmexitDebugSession } from './adapter';

DebugSession.run(VmexitDebugSession);
