// What a DAP client sees when a request fails. The adapter's own errors
// carry a message written for the user (plain Error, LaunchError, the
// expression language's errors); an error JavaScript itself raised
// (TypeError, RangeError …) is a bug in vmexit, and its text ("Cannot read
// properties of undefined", "Invalid array length") means nothing to the
// user: the client gets one line saying so, and the stack goes to the
// adapter's stderr (VS Code's debug adapter log) for the bug report.

/** An error JavaScript raised, not one vmexit wrote for the user. */
function isProgramError(e: unknown): boolean {
  return (
    e instanceof TypeError ||
    e instanceof RangeError ||
    e instanceof ReferenceError ||
    e instanceof SyntaxError ||
    e instanceof EvalError ||
    e instanceof URIError ||
    !(e instanceof Error)
  );
}

/** Log a bug's details where the developer, not the user, reads them. */
export function logInternalError(command: string, detail: unknown): void {
  const text = detail instanceof Error ? (detail.stack ?? detail.message) : String(detail);
  process.stderr.write(`vmexit debug adapter: internal error in '${command}': ${text}\n`);
}

/** The line to tell the user that a request failed on a bug of vmexit's. */
export function internalErrorText(command: string): string {
  return `vmexit's debugger failed on the '${command}' request (an internal error, logged to the debug adapter's stderr; please report it). The session goes on.`;
}

/** The message a failed request answers with: the error's own text, or for a program error a clean line (and the stack logged). */
export function clientMessage(e: unknown, command: string): string {
  if (!isProgramError(e)) return (e as Error).message;
  logInternalError(command, e);
  return internalErrorText(command);
}
