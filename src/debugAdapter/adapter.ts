// The DAP side: VmexitDebugSession maps Debug Adapter Protocol requests onto
// the VmexitRuntime (which knows nothing of DAP), the symbol service and the
// evaluator. One thread per vCPU; a stop stops all.

import { InitializedEvent, LoggingDebugSession, OutputEvent, StoppedEvent, TerminatedEvent, ExitedEvent, Event, Response } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Bitness, decodeBackward, decodeForward, DecodedInstruction } from './disassembler';
import { EXCEPTION_FILTERS, toExceptionFilters } from './exceptionFilters';
import { Frame, returnsHere } from './frames';
import { expandInlined, unwindFrames } from './cFrames';
import { conditionC, evaluateC } from './cExpression';
import { CFrame } from './cVariables';
import { Evaluator, GuestAddress, NasmEvaluator } from './nasmEvaluator';
import { LaunchError, parseLaunchArguments } from './launchConfig';
import { generalRegisters, hex, segmentRegisters, StateNode, systemRegisters } from './registerView';
import { fpuNodes } from './fpuView';
import { OutputChannel, RuntimeListener, VmexitRuntime } from './runtime';
import type { StopReport } from './stopReasons';
import { TableSymbols, SymbolService } from './symbolService';
import { BreakpointRequest, DataBreakpointRequest } from './breakpoints';
import { customHandler } from './customRequests';
import { deviceNodes } from './devicesView';
import { systemRegister } from './systemRegisters';
import { ScreenWatch } from './screenWatch';
import { VariableStore } from './variableStore';
import { argumentsProblem, REQUEST_LIMITS } from './requestLimits';
import { clientMessage, internalErrorText, logInternalError } from './clientErrors';
import type { VcpuState } from '../vmm/vcpu';

/** DAP thread ids are vCPU index + 1 (thread 1 is vCPU 0, the BSP). */
function threadOf(vcpu: number): number {
  return vcpu + 1;
}
function vcpuOfThread(threadId: number): number {
  return threadId - 1;
}
/** Stack frame ids carry their vCPU: vcpu * FRAMES_PER_THREAD + the frame's index in that vCPU's stack. */
const FRAMES_PER_THREAD = 1 << 16;
function vcpuOfFrame(frameId: number): number {
  return Math.floor(frameId / FRAMES_PER_THREAD);
}

/** A thread's state as its name shows it. */
const STATE_NAMES: Record<VcpuState, string> = { running: 'stopped', halted: 'halted', 'waiting-for-sipi': 'waiting for SIPI' };

/** Launch arguments as they arrive (checked by parseLaunchArguments). */
type LaunchArguments = DebugProtocol.LaunchRequestArguments & Record<string, unknown>;

/** DebugSession's catch-all for a handler that threw: its text is the stack. */
const UNCAUGHT_ERROR_ID = 1104;

/**
 * Why a source breakpoint's position cannot be honoured (lines and columns
 * count from 1), naming the file; null when it is a position. The lines come
 * from the client as it pleases: -5, 1.5, null.
 */
function sourcePositionProblem(path: string, bp: DebugProtocol.SourceBreakpoint): string | null {
  const file = path.split(/[\\/]/).pop() || '(a source without a file name)';
  if (path === '') return 'the breakpoint is in a source without a path or name; save the file, then set the breakpoint again';
  const bad = (what: string, value: unknown): string => `${file}: ${what} ${JSON.stringify(value) ?? 'missing'} is not a ${what} number (they count from 1)`;
  if (typeof bp.line !== 'number' || !Number.isInteger(bp.line) || bp.line < 1) return bad('line', bp.line);
  if (bp.column !== undefined && (typeof bp.column !== 'number' || !Number.isInteger(bp.column) || bp.column < 1)) return bad('column', bp.column);
  return null;
}

export class VmexitDebugSession extends LoggingDebugSession implements RuntimeListener {
  private runtime: VmexitRuntime | null = null;
  private symbols: SymbolService = new TableSymbols();
  private evaluator: Evaluator | null = null;
  private variables = new VariableStore();
  /** Each vCPU's call stack in this stop (frame ids index it), made on first use. */
  private readonly stacks = new Map<number, Frame[]>();
  /** The throttled vmexit.screen event (see screenWatch.ts). */
  private readonly screen = new ScreenWatch(
    () => (this.runtime && this.runtime.state !== 'ended' ? this.runtime.machine : null),
    (body) => this.sendEvent(new Event('vmexit.screen', body)),
  );
  private configurationDone: () => void = () => {};
  private readonly configured: Promise<void>;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((resolve) => (this.configurationDone = resolve));
  }

  // ---- Every request's arguments and failures ------------------------------------

  /** Arguments of the wrong type or beyond vmexit's limits are refused before any handler runs (requestLimits.ts). */
  protected dispatchRequest(request: DebugProtocol.Request): void {
    const problem = argumentsProblem(request.command, request.arguments);
    if (problem) {
      this.sendErrorResponse(new Response(request), { id: 1005, format: problem });
      return;
    }
    super.dispatchRequest(request);
  }

  /**
   * Every failure goes out as one clean line: a handler that threw (the base
   * class would send its stack) becomes the internal-error line, and the
   * message is never read as a format string with {placeholders}, which the
   * base class would substitute (and fail on, for `{_name}` without values).
   */
  protected sendErrorResponse(
    response: DebugProtocol.Response,
    codeOrMessage: number | DebugProtocol.Message,
    format?: string,
    variables?: Record<string, string>,
  ): void {
    let msg: DebugProtocol.Message = typeof codeOrMessage === 'number' ? { id: codeOrMessage, format: format ?? '' } : codeOrMessage;
    if (msg.id === UNCAUGHT_ERROR_ID) {
      logInternalError(response.command, variables?._stack ?? format);
      msg = { id: UNCAUGHT_ERROR_ID, format: internalErrorText(response.command) };
    }
    super.sendErrorResponse(response, { ...msg, variables: {} });
  }

  // ---- RuntimeListener ---------------------------------------------------------

  stopped(report: StopReport): void {
    this.variables.reset();
    this.stacks.clear();
    const e = new StoppedEvent(report.reason, threadOf(report.vcpu ?? 0), report.text) as DebugProtocol.StoppedEvent;
    e.body.description = report.description;
    e.body.allThreadsStopped = true;
    if (report.hitBreakpointIds) e.body.hitBreakpointIds = report.hitBreakpointIds;
    this.sendEvent(e);
    this.screen.flush();
  }

  output(channel: OutputChannel, text: string): void {
    const category = channel === 'serial' || channel === 'debugcon' ? 'stdout' : 'console';
    this.sendEvent(new OutputEvent(text, category, channel === 'serial' || channel === 'debugcon' ? { channel } : undefined));
    if (channel === 'serial' || channel === 'debugcon') this.sendEvent(new Event(`vmexit.${channel}`, { text }));
  }

  exited(status: number): void {
    this.sendEvent(new ExitedEvent(status));
  }

  terminated(): void {
    this.screen.stop();
    this.sendEvent(new TerminatedEvent());
  }

  // ---- Lifecycle ---------------------------------------------------------------

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDisassembleRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsSteppingGranularity: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsEvaluateForHovers: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsDataBreakpoints: true,
      supportsExceptionFilterOptions: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  protected async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    let runtime: VmexitRuntime;
    try {
      const spec = parseLaunchArguments(args);
      runtime = new VmexitRuntime(spec, this);
      runtime.create();
      const symbols = new TableSymbols();
      for (const file of spec.symbols) {
        try {
          for (const w of symbols.addFile(file)) this.output('log', `vmexit: ${w}\n`);
        } catch (e) {
          throw new LaunchError(`symbol file '${file.path}': ${clientMessage(e, 'launch')}`);
        }
      }
      this.symbols = symbols;
    } catch (e) {
      const text = e instanceof LaunchError ? e.message : `cannot start the guest: ${clientMessage(e, 'launch')}`;
      this.sendErrorResponse(response, { id: 1001, format: text, showUser: true });
      return;
    }
    this.runtime = runtime;
    this.evaluator = new NasmEvaluator(runtime, this.symbols);
    runtime.lineLookup = (linear) => this.symbols.addressToLine(linear);
    const evaluator = this.evaluator;
    // Conditions and log messages take C expressions over the current frame's variables first, then NASM
    // syntax (the frame is unwound afresh at each hit: the guest has run since the last stop).
    const hereC = (): CFrame | undefined => {
      const top = expandInlined(unwindFrames(runtime, this.symbols, 1), this.symbols)[0];
      return top ? new CFrame(runtime, this.symbols, top, true) : undefined;
    };
    runtime.expressions = {
      condition: (expr) => {
        const c = hereC();
        return (c && conditionC(expr, c)) ?? evaluator.condition(expr);
      },
      interpolate: (expr) => {
        const c = hereC();
        const cv = c && evaluateC(expr, c);
        if (c && cv) return c.values.format(cv);
        const v = evaluator.evaluate(expr);
        return hex(v.value, (v.size ?? 2) * 2);
      },
    };
    this.sendResponse(response);
    // Breakpoints and filters arrive before configurationDone; give the client a moment at most.
    await Promise.race([this.configured, new Promise((r) => setTimeout(r, 2000))]);
    runtime.start();
    this.screen.start(() => this.runtime?.state === 'running');
  }

  private need(response: DebugProtocol.Response): VmexitRuntime | null {
    if (!this.runtime) {
      this.sendErrorResponse(response, { id: 1002, format: 'no guest is running (launch first)' });
      return null;
    }
    return this.runtime;
  }

  private needStopped(response: DebugProtocol.Response): VmexitRuntime | null {
    const rt = this.need(response);
    if (!rt) return null;
    if (rt.state !== 'stopped') {
      this.sendErrorResponse(response, { id: 1003, format: rt.state === 'running' ? 'the guest is running: pause it first' : 'the guest has ended' });
      return null;
    }
    return rt;
  }

  private attempt(response: DebugProtocol.Response, body: () => void): void {
    try {
      body();
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1004, format: clientMessage(e, response.command) });
    }
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.screen.stop();
    this.runtime?.terminate();
    this.sendResponse(response);
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.screen.stop();
    this.runtime?.terminate();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected restartRequest(response: DebugProtocol.RestartResponse): void {
    const rt = this.need(response);
    if (!rt) return;
    this.attempt(response, () =>
      this.resume(() => {
        this.screen.reset();
        rt.restart();
      }),
    );
  }

  // ---- Execution -------------------------------------------------------------------

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    response.body = { allThreadsContinued: true };
    this.variables.reset();
    this.stacks.clear();
    this.attempt(response, () => rt.continue());
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    const rt = this.need(response);
    if (!rt) return;
    rt.pause();
    this.sendResponse(response);
  }

  /** Run or step: the stop's variable references are void from here on. */
  private resume(go: () => void): void {
    this.variables.reset();
    this.stacks.clear();
    go();
  }

  private granularity(g: DebugProtocol.SteppingGranularity | undefined): 'instruction' | 'line' {
    return g === 'instruction' ? 'instruction' : 'line';
  }

  // Stepping steps the requested thread's vCPU; the others stay stopped meanwhile.

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    const rt = this.needStopped(response);
    if (rt) this.attempt(response, () => this.resume(() => (rt.focusOn(vcpuOfThread(args.threadId)), rt.next(this.granularity(args.granularity)))));
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    const rt = this.needStopped(response);
    if (rt) this.attempt(response, () => this.resume(() => (rt.focusOn(vcpuOfThread(args.threadId)), rt.stepIn(this.granularity(args.granularity)))));
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    const rt = this.needStopped(response);
    if (rt) this.attempt(response, () => this.resume(() => (rt.focusOn(vcpuOfThread(args.threadId)), rt.stepOut())));
  }

  // ---- Threads, stack, variables ---------------------------------------------------

  /** One thread per vCPU, its state in the name: running, stopped, halted, waiting for SIPI, ended. */
  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const rt = this.runtime;
    if (!rt || rt.state === 'ended') {
      response.body = { threads: [{ id: threadOf(0), name: 'vCPU 0 (ended)' }] };
    } else {
      const running = rt.state === 'running';
      response.body = {
        threads: rt.machine.vm.vcpus.map((v) => ({ id: threadOf(v.index), name: `vCPU ${v.index} (${running ? 'running' : STATE_NAMES[v.state]})` })),
      };
    }
    this.sendResponse(response);
  }

  /** Focus the vCPU of a request's frame, when it names one (an unknown vCPU is an error). */
  private focusFrame(rt: VmexitRuntime, frameId: number | undefined): void {
    if (frameId === undefined) return;
    rt.focusOn(vcpuOfFrame(frameId));
  }

  private frameName(frame: Frame): string {
    if (frame.inline?.inlined) return `${frame.inline.name} [inlined] ${this.frameName({ ...frame, inline: undefined }).replace(/^\S+ (?=[0-9A-F]{4}:)/, '')}`;
    const digits = frame.bitness === 16 ? 4 : 8;
    const where = `${frame.cs.toString(16).toUpperCase().padStart(4, '0')}:${frame.offset.toString(16).toUpperCase().padStart(digits, '0')}`;
    // A caller frame is named by the code of its call (the byte before the return address), so a call
    // that ends a function (to a routine that never returns) is not put in the next one.
    const back = returnsHere(frame) ? 1 : 0;
    const sym = this.symbols.symbolAt(frame.linear - back);
    const offset = sym ? sym.offset + back : 0;
    const label = sym ? `${sym.name}${offset ? `+0x${offset.toString(16)}` : ''} ` : '';
    // How the frame was left when not a plain near call: `via far call`, `via INT 10h`.
    const via = frame.via && frame.via !== 'call' ? ` via ${frame.via}` : '';
    return frame.bitness === 16 ? `${label}${where} (linear 0x${frame.linear.toString(16).toUpperCase().padStart(5, '0')})${via}` : `${label}${where}${via}`;
  }

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    const vcpu = vcpuOfThread(args.threadId);
    this.attempt(response, () => {
      rt.focusOn(vcpu);
      const frames = this.stackOf(rt, vcpu);
      const start = args.startFrame ?? 0;
      const count = args.levels && args.levels > 0 ? args.levels : frames.length;
      const stackFrames = frames.slice(start, start + count).map((f, i): DebugProtocol.StackFrame => {
        // A caller frame shows the line of its call (the return address's line is the one after it).
        const looked = this.symbols.addressToLine(returnsHere(f) ? f.linear - 1 : f.linear);
        // A function around inlined code is on the line of the inlined call.
        const call = f.inline?.call;
        const place = call ? { path: call.path ?? looked?.path ?? '', line: call.line } : looked;
        const frame: DebugProtocol.StackFrame = {
          id: vcpu * FRAMES_PER_THREAD + start + i,
          name: this.frameName(f),
          line: place?.line ?? 0,
          column: place ? 1 : 0,
          instructionPointerReference: hex(f.linear, 8),
        };
        if (place) frame.source = { name: place.path.split(/[\\/]/).pop(), path: place.path };
        else frame.presentationHint = 'subtle';
        return frame;
      });
      response.body = { stackFrames, totalFrames: frames.length };
    });
  }

  /** The call stack of a vCPU in this stop (focuses it). */
  private stackOf(rt: VmexitRuntime, vcpu: number): Frame[] {
    rt.focusOn(vcpu);
    let frames = this.stacks.get(vcpu);
    if (!frames) this.stacks.set(vcpu, (frames = expandInlined(unwindFrames(rt, this.symbols), this.symbols)));
    return frames;
  }

  /** The C view of a frame (by frame id; the focused vCPU's current frame without one); undefined for a frame not in the stack. */
  private cFrame(rt: VmexitRuntime, frameId: number | undefined): CFrame | undefined {
    const vcpu = frameId === undefined ? rt.focus : vcpuOfFrame(frameId);
    const index = frameId === undefined ? 0 : frameId % FRAMES_PER_THREAD;
    const stack = this.stackOf(rt, vcpu);
    const frame = stack[index];
    // Frames of inlined code share the current machine frame (and its live registers).
    return frame ? new CFrame(rt, this.symbols, frame, frame.registers === stack[0].registers && frame.linear === stack[0].linear) : undefined;
  }

  /** The scopes of a frame's vCPU (the registers are the vCPU's, whichever frame of its stack). */
  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    const vcpu = vcpuOfFrame(args.frameId);
    this.attempt(response, () => {
      rt.focusOn(vcpu);
      const v = this.variables;
      // A C function's Locals, Arguments and Globals come first (the frame's own; see cVariables.ts).
      const index = args.frameId % FRAMES_PER_THREAD;
      const c = this.cFrame(rt, args.frameId);
      const cScopes = (c?.scopes() ?? []).map((s): DebugProtocol.Scope => ({
        name: s.name,
        presentationHint: s.name === 'Locals' ? 'locals' : s.name === 'Arguments' ? 'arguments' : undefined,
        variablesReference: v.scope(`${s.name}@${index}`, vcpu, s.nodes),
        expensive: false,
      }));
      response.body = {
        scopes: [
          ...cScopes,
          { name: 'Registers', presentationHint: 'registers', variablesReference: v.scope('Registers', vcpu, () => generalRegisters(rt)), expensive: false },
          { name: 'Segments', variablesReference: v.scope('Segments', vcpu, () => segmentRegisters(rt)), expensive: false },
          { name: 'System', variablesReference: v.scope('System', vcpu, () => systemRegisters(rt)), expensive: false },
          { name: 'Devices', variablesReference: v.scope('Devices', vcpu, () => deviceNodes(rt)), expensive: false },
          { name: 'FPU', variablesReference: v.scope('FPU', vcpu, () => fpuNodes(rt)), expensive: false },
        ],
      };
    });
  }

  private toVariable(node: StateNode, parent: number): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = {
      name: node.name,
      value: node.value,
      variablesReference: node.children ? this.variables.child(parent, node.name) : 0,
    };
    if (node.type) v.type = node.type;
    if (node.evaluateName) v.evaluateName = node.evaluateName;
    if (node.memoryReference) v.memoryReference = node.memoryReference;
    if (!node.set) v.presentationHint = { attributes: ['readOnly'] };
    return v;
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    const vcpu = this.variables.vcpuOf(args.variablesReference);
    if (vcpu !== undefined) rt.focusOn(vcpu);
    const nodes = this.variables.children(args.variablesReference)?.nodes ?? [];
    const start = args.start ?? 0;
    const page = args.count ? nodes.slice(start, start + args.count) : nodes.slice(start);
    response.body = { variables: page.map((n) => this.toVariable(n, args.variablesReference)) };
    this.sendResponse(response);
  }

  protected setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const rt = this.needStopped(response);
    if (!rt || !this.evaluator) return;
    const evaluator = this.evaluator;
    this.attempt(response, () => {
      const vcpu = this.variables.vcpuOf(args.variablesReference);
      if (vcpu !== undefined) rt.focusOn(vcpu);
      const node = this.variables.children(args.variablesReference)?.nodes.find((n) => n.name === args.name);
      if (!node) throw new Error(`no variable '${args.name}' here`);
      if (!node.set) throw new Error(`'${args.name}' cannot be changed`);
      node.set(this.numberOf(rt, args.value, undefined, evaluator));
      this.variables.invalidateValues();
      const fresh = this.variables.children(args.variablesReference)?.nodes.find((n) => n.name === args.name) ?? node;
      response.body = { value: fresh.value };
    });
  }

  // ---- Evaluate ----------------------------------------------------------------------

  private formatValue(value: number, size: number | undefined): string {
    const digits = (size ?? (Math.abs(value) > 0xffff ? 4 : 2)) * 2;
    if (value < 0) return `-0x${(-value).toString(16).toUpperCase()} (${value})`;
    return `${hex(value, digits)} (${value})`;
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const rt = this.needStopped(response);
    if (!rt || !this.evaluator) return;
    const evaluator = this.evaluator;
    this.attempt(response, () => {
      this.focusFrame(rt, args.frameId);
      // A C expression over the frame's variables shows the C value (a C variable's name is its value);
      // anything else is NASM syntax (an assembly label's value is its address).
      const c = this.cFrame(rt, args.frameId);
      const cv = c && evaluateC(args.expression, c);
      if (c && cv) {
        const node = c.values.node(args.expression, cv, args.expression);
        const children = node.children;
        const key = `evaluate@${args.frameId ?? 0}:${args.expression}`;
        response.body = { result: node.value, type: node.type, variablesReference: children ? this.variables.scope(key, rt.focus, children) : 0 };
        if (node.memoryReference) response.body.memoryReference = node.memoryReference;
        return;
      }
      const v = evaluator.evaluate(args.expression);
      response.body = { result: this.formatValue(v.value, v.size), variablesReference: 0 };
      if (v.place) response.body.memoryReference = this.memoryReferenceOf(v.place);
      else if (v.value >= 0 && v.value <= 0xffffffff) response.body.memoryReference = hex(v.value, 8);
    });
  }

  /** A new value's number: a C expression over the frame's variables and the program's enumerators (BLUE, 'x', counter + 1), else NASM syntax. */
  private numberOf(rt: VmexitRuntime, text: string, frameId: number | undefined, evaluator: Evaluator): number {
    const c = this.cFrame(rt, frameId);
    const v = c?.program?.hasInfo ? evaluateC(text, c, false) : undefined;
    if (!c || !v) return evaluator.evaluate(text).value;
    const x = c.values.scalar(v);
    if (typeof x === 'string') throw new Error(x);
    return x;
  }

  protected setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    const rt = this.needStopped(response);
    if (!rt || !this.evaluator) return;
    const evaluator = this.evaluator;
    this.attempt(response, () => {
      this.focusFrame(rt, args.frameId);
      const c = this.cFrame(rt, args.frameId);
      const cv = c && evaluateC(args.expression, c);
      if (c && cv) {
        c.values.set(cv, this.numberOf(rt, args.value, args.frameId, evaluator));
        this.variables.invalidateValues();
        response.body = { value: c.values.format(evaluateC(args.expression, c) ?? cv) };
        return;
      }
      const target = evaluator.lvalue(args.expression);
      const value = evaluator.evaluate(args.value).value;
      if (target.kind === 'memory') {
        const size = target.size;
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
        const place = target.address;
        const n = place.kind === 'physical' ? rt.writePhysical(place.physical, bytes) : rt.writeLinear(place.linear, bytes);
        if (n < size) {
          const where = place.kind === 'physical' ? `phys:${hex(place.physical + n, 8)}` : hex(place.linear + n, 8);
          throw new Error(`'${args.expression}': only ${n} of ${size} bytes could be written; ${where} is not RAM`);
        }
      } else {
        this.writeRegister(rt, target.name, value);
      }
      this.variables.invalidateValues();
      const after = evaluator.evaluate(args.expression);
      response.body = { value: this.formatValue(after.value, after.size) };
    });
  }

  /** Write a register by its expression name: a system register (cr0, gdtr.base, ds.limit …) or a node of the register views. */
  private writeRegister(rt: VmexitRuntime, name: string, value: number): void {
    const sys = systemRegister(rt, name);
    if (sys) {
      sys.write(value);
      return;
    }
    const all = [...generalRegisters(rt), ...segmentRegisters(rt), ...systemRegisters(rt)];
    const flat = all.flatMap((n) => [n, ...(n.children ? n.children() : [])]);
    const node = flat.find((n) => n.name === name && n.set);
    if (!node?.set) throw new Error(`register '${name}' cannot be changed`);
    node.set(value);
  }

  // ---- Memory and disassembly ---------------------------------------------------------

  private memoryReferenceOf(place: GuestAddress): string {
    return place.space === 'physical' ? `phys:${hex(place.address, 8)}` : hex(place.address, 8);
  }

  /** A memory reference to an address; errors name the reference as `what` ('memory reference', 'function breakpoint' …). */
  private resolveReference(reference: string, offset = 0, what = 'memory reference'): GuestAddress {
    if (!this.evaluator) throw new Error('no guest');
    // Real-mode notation as debuggers print it: both parts hex without a prefix (07C0:0018).
    const segOff = /^\s*([0-9a-f]{1,4}):([0-9a-f]{1,8})\s*$/i.exec(reference);
    if (!Number.isInteger(offset) || Math.abs(offset) > REQUEST_LIMITS.memoryOffset) {
      throw new Error(`${what} '${reference}': offset ${JSON.stringify(offset)} is not a whole number from -0xFFFFFFFF to 0xFFFFFFFF`);
    }
    if (segOff) return { space: 'linear', address: (parseInt(segOff[1], 16) * 16 + parseInt(segOff[2], 16) + offset) >>> 0 };
    try {
      const a = this.evaluator.address(reference);
      return { space: a.space, address: (a.address + offset) >>> 0 };
    } catch (e) {
      throw new Error(`${what} '${reference}': ${clientMessage(e, what)}`);
    }
  }

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    const rt = this.need(response);
    if (!rt) return;
    this.attempt(response, () => {
      const place = this.resolveReference(args.memoryReference, args.offset ?? 0);
      const count = args.count; // within REQUEST_LIMITS.readMemoryBytes (requestLimits.ts)
      const bytes = place.space === 'physical' ? rt.readPhysical(place.address, count) : rt.readLinear(place.address, count);
      let readable = 0;
      while (readable < bytes.length && bytes[readable] !== null) readable++;
      const body: DebugProtocol.ReadMemoryResponse['body'] = { address: hex(place.address, 8) };
      if (readable > 0) body.data = Buffer.from(bytes.slice(0, readable) as number[]).toString('base64');
      if (readable < count) body.unreadableBytes = count - readable;
      response.body = body;
    });
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    this.attempt(response, () => {
      const place = this.resolveReference(args.memoryReference, args.offset ?? 0);
      const data = new Uint8Array(Buffer.from(args.data, 'base64'));
      if (data.length > REQUEST_LIMITS.writeMemoryBytes) {
        throw new Error(`writeMemory: 'data' is ${data.length} bytes; the limit is ${REQUEST_LIMITS.writeMemoryBytes} bytes per request`);
      }
      const n = place.space === 'physical' ? rt.writePhysical(place.address, data) : rt.writeLinear(place.address, data);
      if (n === 0 && data.length > 0 && !args.allowPartial) throw new Error(`memory at ${hex(place.address, 8)} is not writable RAM`);
      this.variables.invalidateValues();
      response.body = { bytesWritten: n };
    });
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    this.attempt(response, () => {
      const place = this.resolveReference(args.memoryReference, args.offset ?? 0);
      // A phys: reference disassembles physical memory (addresses shown physical); symbols name linear
      // addresses, so they are shown there only while the two coincide (paging off).
      const physical = place.space === 'physical';
      const labelled = !physical || !rt.pagingOn();
      const linear = place.address;
      // The instruction at CS:EIP decodes as the CPU runs it; others as the symbols' assembler
      // assembled them (NASM's BITS), else as the current code. So the 32-bit part of a boot
      // sector reads right while the CPU is still in real mode.
      const cpuBits = rt.codeBitness();
      const pc = rt.pc();
      const fallback = this.referenceBitness(rt, args.memoryReference) ?? cpuBits;
      const bitness = (l: number): Bitness => (l === pc ? cpuBits : ((labelled ? this.symbols.addressToLine(l)?.bits : undefined) ?? fallback));
      const cs = rt.sregs().cs;
      // The offset within CS when the address lies in it (how the code sees itself), else the address itself.
      const inCs = labelled && linear >= cs.base && linear - cs.base <= cs.limit;
      const offset = inCs ? linear - cs.base : linear;
      const read = (l: number, n: number): (number | null)[] => (physical ? rt.readPhysical(l, n) : rt.readLinear(l, n));
      const before = Math.max(0, -(args.instructionOffset ?? 0));
      const total = args.instructionCount;
      let list: DecodedInstruction[] = [];
      if (before > 0) list = decodeBackward(read, linear, offset, bitness, before);
      // Pad with entries at lower addresses when fewer instructions than asked precede.
      const after = decodeForward(read, linear, offset, bitness, Math.max(0, total - list.length + Math.max(0, args.instructionOffset ?? 0)));
      list = list.concat(after.slice(Math.max(0, args.instructionOffset ?? 0)));
      while (list.length < total) list.unshift({ linear: (list[0]?.linear ?? linear) - 1, offset: 0, length: 1, bytes: [null], text: '??', invalid: true, stepClass: 'other' });
      list = list.slice(0, total);
      let lastPath: string | undefined;
      response.body = {
        instructions: list.map((ins) => {
          const out: DebugProtocol.DisassembledInstruction = {
            address: hex(ins.linear, 8),
            instructionBytes: ins.bytes.map((b) => (b === null ? '??' : b.toString(16).padStart(2, '0'))).join(' '),
            instruction: ins.text,
          };
          if (ins.bytes[0] === null) out.presentationHint = 'invalid';
          if (!labelled) return out;
          const sym = this.symbols.symbolAt(ins.linear);
          if (sym && sym.offset === 0) out.symbol = sym.name;
          const place2 = this.symbols.addressToLine(ins.linear);
          if (place2) {
            out.line = place2.line;
            if (place2.path !== lastPath) out.location = { name: place2.path.split(/[\\/]/).pop(), path: place2.path };
            lastPath = place2.path;
          }
          return out;
        }),
      };
    });
  }

  /**
   * The code size a `selector:offset` reference names in protected mode: that
   * code segment's (its descriptor's D and L bits); undefined for any other
   * reference, which decodes as the current code.
   */
  private referenceBitness(rt: VmexitRuntime, reference: string): Bitness | undefined {
    if (!this.evaluator) return undefined;
    if (rt.realAddressing()) return undefined;
    const m = /^\s*([^:[\]]+?)\s*:(?!:)/.exec(reference);
    if (!m || /^(cs|ds|es|fs|gs|ss|phys|lin)$/i.test(m[1])) return undefined;
    try {
      return rt.descriptorBitness(Number(this.evaluator.evaluate(m[1]).value) & 0xffff);
    } catch {
      return undefined;
    }
  }

  // ---- Breakpoints ----------------------------------------------------------------------

  private request(at: GuestAddress, bp: { condition?: string; hitCondition?: string; logMessage?: string }): BreakpointRequest {
    return { address: at.address, space: at.space, condition: bp.condition, hitCondition: bp.hitCondition, logMessage: bp.logMessage };
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const rt = this.need(response);
    if (!rt) return;
    // A source may come with an empty path and only a name (an untitled editor, a client's own source).
    const path = args.source.path || args.source.name || '';
    const wanted: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    const resolved = wanted.map((bp) => {
      const problem = sourcePositionProblem(path, bp);
      return { bp, where: problem ? { error: problem } : this.symbols.lineToAddresses(path, bp.line) };
    });
    const requests: BreakpointRequest[] = [];
    const owner: number[] = [];
    resolved.forEach((r, i) => {
      if (!('addresses' in r.where)) return;
      for (const a of r.where.addresses) {
        requests.push(this.request({ space: 'linear', address: a }, r.bp));
        owner.push(i);
      }
    });
    const made = rt.setBreakpoints(`source:${path}`, requests);
    response.body = {
      breakpoints: resolved.map((r, i): DebugProtocol.Breakpoint => {
        if ('error' in r.where) {
          const line = Number.isInteger(r.bp.line) && r.bp.line > 0 ? { line: r.bp.line } : {};
          return { id: rt.breakpoints.allocateId(), verified: false, ...line, message: r.where.error, reason: 'failed' };
        }
        const armed = made[owner.indexOf(i)];
        return { id: armed.id, verified: true, line: r.where.line, source: args.source, instructionReference: hex(armed.address, 8) };
      }),
    };
    this.sendResponse(response);
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.setAddressBreakpoints(response, 'function', args.breakpoints.map((bp) => ({ bp, reference: bp.name, offset: 0 })));
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    // phys:… references are armed by physical address: they hit through whichever linear address maps there.
    this.setAddressBreakpoints(
      response,
      'instruction',
      args.breakpoints.map((bp) => ({ bp, reference: bp.instructionReference, offset: bp.offset ?? 0 })),
    );
  }

  /** Function and instruction breakpoints: each reference resolved to a linear or physical address, or refused with the reason. */
  private setAddressBreakpoints(
    response: DebugProtocol.SetFunctionBreakpointsResponse | DebugProtocol.SetInstructionBreakpointsResponse,
    kind: 'function' | 'instruction',
    entries: { bp: DebugProtocol.FunctionBreakpoint | DebugProtocol.InstructionBreakpoint; reference: string; offset: number }[],
  ): void {
    const rt = this.need(response);
    if (!rt) return;
    const resolved = entries.map(({ bp, reference, offset }) => {
      try {
        return { bp, at: this.resolveReference(reference, offset, `${kind} breakpoint`), error: null };
      } catch (e) {
        return { bp, at: null, error: clientMessage(e, `${kind} breakpoint`) };
      }
    });
    const good = resolved.filter((r): r is (typeof resolved)[number] & { at: GuestAddress } => r.at !== null);
    const made = rt.setBreakpoints(kind, good.map((r) => this.request(r.at, r.bp)));
    response.body = {
      breakpoints: resolved.map((r): DebugProtocol.Breakpoint => {
        if (r.error !== null) return { id: rt.breakpoints.allocateId(), verified: false, message: r.error, reason: 'failed' };
        const armed = made[good.indexOf(r)];
        const reference = this.memoryReferenceOf({ space: armed.space, address: armed.address });
        // A physical breakpoint's source line is that of its linear twin while they coincide (paging off).
        return { id: armed.id, verified: true, instructionReference: reference, ...(armed.space === 'linear' || !rt.pagingOn() ? this.sourceOf(armed.address) : {}) };
      }),
    };
    this.sendResponse(response);
  }

  private sourceOf(linear: number): { source?: DebugProtocol.Source; line?: number } {
    const place = this.symbols.addressToLine(linear);
    return place ? { source: { name: place.path.split(/[\\/]/).pop(), path: place.path }, line: place.line } : {};
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const rt = this.need(response);
    if (!rt) return;
    this.attempt(response, () => rt.setExceptionFilters(toExceptionFilters(args)));
  }

  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const rt = this.need(response);
    if (!rt || !this.evaluator) return;
    const evaluator = this.evaluator;
    try {
      let place: GuestAddress;
      let size = args.bytes ?? 2;
      // A C object (a variable in the Variables view, or a C expression): its memory and its size.
      const cObject = args.asAddress ? undefined : this.cObjectAt(rt, args);
      if (cObject) {
        place = { space: 'linear', address: cObject.address };
        size = args.bytes ?? cObject.size;
      } else if (args.asAddress) place = evaluator.address(args.name);
      else {
        const v = evaluator.evaluate(args.name);
        if (!v.place) throw new Error('not a memory operand (use [address] or a memory reference)');
        place = v.place;
        size = args.bytes ?? v.size ?? 2;
      }
      const unreadable = this.watchProblem(rt, place, size);
      if (unreadable) throw new Error(unreadable);
      response.body = {
        dataId: `${place.space}:${place.address}:${size}`,
        description: `${size} byte${size === 1 ? '' : 's'} at ${this.memoryReferenceOf(place)}`,
        accessTypes: ['read', 'write', 'readWrite'],
        canPersist: true,
      };
    } catch (e) {
      response.body = { dataId: null, description: clientMessage(e, 'dataBreakpointInfo') };
    }
    this.sendResponse(response);
  }

  /**
   * The memory of a C object a data breakpoint is asked for: a node of the
   * Variables view (by reference and name) or a C expression in the frame;
   * undefined when the name is no C object (NASM syntax then); throws when
   * it is one that has no memory (in a register, optimized out).
   */
  private cObjectAt(rt: VmexitRuntime, args: DebugProtocol.DataBreakpointInfoArguments): { address: number; size: number } | undefined {
    if (rt.state !== 'stopped') return undefined;
    let expression = args.name;
    if (args.variablesReference !== undefined) {
      const node = this.variables.children(args.variablesReference)?.nodes.find((n) => n.name === args.name);
      if (node?.dataSize !== undefined && node.memoryReference) return { address: Number(node.memoryReference), size: node.dataSize };
      expression = node?.evaluateName ?? args.name;
    }
    const c = this.cFrame(rt, args.frameId);
    const v = c && evaluateC(expression, c);
    if (!c || !v) return undefined;
    const node = c.values.node(args.name, v);
    if (node.dataSize === undefined || !node.memoryReference) throw new Error(`'${args.name}' is not in memory (a register, a computed or an optimized-out value)`);
    return { address: Number(node.memoryReference), size: node.dataSize };
  }

  /** Why a watchpoint on this range could never fire (not readable guest memory now), or null when it is fine. */
  private watchProblem(rt: VmexitRuntime, place: GuestAddress, size: number): string | null {
    if (!Number.isInteger(size) || size < 1 || size > 4096) return `a data breakpoint covers 1 to 4096 bytes, not ${size}`;
    const bytes = place.space === 'physical' ? rt.readPhysical(place.address, size) : rt.readLinear(place.address, size);
    const bad = bytes.findIndex((b) => b === null);
    if (bad < 0) return null;
    const where = this.memoryReferenceOf({ space: place.space, address: (place.address + bad) >>> 0 });
    return `no guest memory at ${where}${place.space === 'linear' ? ' (the linear address does not translate to RAM or ROM)' : ''}: a data breakpoint there would never fire`;
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const rt = this.need(response);
    if (!rt) return;
    const checked = args.breakpoints.map((bp): { problem: string } | { problem: null; request: DataBreakpointRequest } => {
      const m = /^(linear|physical):(\d+):(\d+)$/.exec(bp.dataId);
      if (!m || Number(m[2]) > 0xffffffff) return { problem: `unknown data breakpoint id '${bp.dataId}' (ask dataBreakpointInfo for one)` };
      const space = m[1] === 'physical' ? ('physical' as const) : ('linear' as const);
      if (bp.accessType !== undefined && !['read', 'write', 'readWrite'].includes(bp.accessType)) {
        return { problem: `access type ${JSON.stringify(bp.accessType)} is not read, write or readWrite` };
      }
      const access = bp.accessType === 'readWrite' ? ('readwrite' as const) : (bp.accessType ?? 'write');
      const watch = { address: Number(m[2]), length: Number(m[3]), access, physical: space === 'physical' };
      const problem = this.watchProblem(rt, { space, address: watch.address }, watch.length);
      return problem ? { problem } : { problem: null, request: { watch, condition: bp.condition, hitCondition: bp.hitCondition } };
    });
    // Only ranges that are guest memory now are armed (one bad range does not disarm the others).
    const good = checked.flatMap((c) => (c.problem === null ? [c.request] : []));
    const made = rt.setDataBreakpoints(good);
    response.body = {
      breakpoints: checked.map((c) =>
        c.problem !== null ? { id: rt.breakpoints.allocateId(), verified: false, message: c.problem } : { id: made[good.indexOf(c.request)].id, verified: true },
      ),
    };
    this.sendResponse(response);
  }

  // ---- Custom requests -------------------------------------------------------------------

  protected customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    const handler = customHandler(command);
    if (!handler) {
      this.sendErrorResponse(response, { id: 1010, format: `unknown request '${command}'` });
      return;
    }
    const rt = this.need(response);
    if (!rt) return;
    this.attempt(response, () => (response.body = handler(rt, args)));
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const rt = this.needStopped(response);
    if (!rt) return;
    const e = rt.lastStop?.exception;
    if (!e) {
      this.sendErrorResponse(response, { id: 1011, format: `the guest did not stop for an exception (${rt.lastStop?.description ?? 'not stopped yet'})` });
      return;
    }
    response.body = {
      exceptionId: e.id,
      description: e.description,
      breakMode: e.breakMode,
      details: { message: e.details ?? e.description, typeName: e.id },
    };
    this.sendResponse(response);
  }
}
