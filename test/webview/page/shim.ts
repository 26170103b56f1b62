// Runs in the test page before the panel's script (a Playwright init
// script): stands in for the VS Code webview host and lets the test look
// inside. acquireVsCodeApi records what the page posts; __host delivers a
// host message synchronously, as a 'message' event like VS Code's; every
// putImageData call and CSP violation is recorded; __canvasPixels reads the
// screen canvas back and __terminalRows the terminal's rows as text.

interface PutRecord {
  dirtyY: number | undefined;
  dirtyHeight: number | undefined;
}

interface PageHooks {
  __posted: unknown[];
  __puts: PutRecord[];
  __violations: string[];
  __state: unknown;
  __host(message: unknown): void;
  __frames(count: number): Promise<void>;
  __canvasPixels(): { width: number; height: number; cssWidth: string; cssHeight: string; rgba: string };
  __terminalRows(): string[];
}

const hooks = window as unknown as PageHooks & { acquireVsCodeApi(): unknown };
hooks.__posted = [];
hooks.__puts = [];
hooks.__violations = [];
hooks.__state = undefined;

let acquired = false;
hooks.acquireVsCodeApi = () => {
  // VS Code allows one call per page; so does the stand-in.
  if (acquired) throw new Error('acquireVsCodeApi called twice');
  acquired = true;
  return {
    postMessage: (message: unknown) => hooks.__posted.push(JSON.parse(JSON.stringify(message)) as unknown),
    getState: () => hooks.__state,
    setState: (state: unknown) => {
      hooks.__state = state;
    },
  };
};

hooks.__host = (message: unknown) => {
  window.dispatchEvent(new MessageEvent('message', { data: message }));
};

hooks.__frames = (count: number) =>
  new Promise<void>((resolve) => {
    const step = (left: number): void => {
      if (left === 0) resolve();
      else requestAnimationFrame(() => step(left - 1));
    };
    step(count);
  });

const put = CanvasRenderingContext2D.prototype.putImageData;
CanvasRenderingContext2D.prototype.putImageData = function (this: CanvasRenderingContext2D, ...args: unknown[]) {
  hooks.__puts.push({ dirtyY: args[4] as number | undefined, dirtyHeight: args[6] as number | undefined });
  return (put as (...a: unknown[]) => void).apply(this, args);
} as typeof put;

document.addEventListener('securitypolicyviolation', (e) => hooks.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));

hooks.__canvasPixels = () => {
  const canvas = document.getElementById('screen');
  if (!(canvas instanceof HTMLCanvasElement)) throw new Error('no #screen canvas');
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('no 2d context');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < data.length; i += chunk) binary += String.fromCharCode(...data.subarray(i, i + chunk));
  return { width: canvas.width, height: canvas.height, cssWidth: canvas.style.width, cssHeight: canvas.style.height, rgba: btoa(binary) };
};

hooks.__terminalRows = () => Array.from(document.querySelectorAll('#serial .xterm-rows > div'), (row) => (row.textContent ?? '').trimEnd());
