// The "VM Screen" panel's page, as the host side hands it to the webview.
// Plain string building (the host imports this; no DOM types).
//
// Content Security Policy: nothing but our own script (by nonce), our own
// style sheets and images (the webview's resource origin, and data: URLs for
// screenshots). No inline script, no eval, no network. One exception is
// needed for styles: xterm's DOM renderer keeps its theme colours and cell
// sizes in <style> elements it creates at run time, which a CSP without
// 'unsafe-inline' blocks; the page gives those elements the same nonce
// (styleNonce.ts), so `style-src` lists the nonce instead of 'unsafe-inline'.
// Element styles set through the CSSOM (element.style.width = …) are not
// governed by CSP and need nothing.

export interface ScreenPanelHtmlOptions {
  /** `webview.cspSource`: the origin the webview loads local resources from. */
  cspSource: string;
  /** A fresh random nonce per page load (base64 or hex, no quotes). */
  nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)`, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(dist/xterm.css)`. */
  xtermCssUri: string;
  /** `webview.asWebviewUri(dist/screen.css)`. */
  screenCssUri: string;
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The page's Content-Security-Policy. */
export function screenPanelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function screenPanelHtml(options: ScreenPanelHtmlOptions): string {
  const { cspSource, nonce, scriptUri, xtermCssUri, screenCssUri } = options;
  if (!/^[A-Za-z0-9+/=_-]+$/.test(nonce)) throw new Error('screenPanelHtml: the nonce must be base64 or hex characters');
  const csp = escapeAttr(screenPanelCsp(cspSource, nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeAttr(xtermCssUri)}">
<link rel="stylesheet" href="${escapeAttr(screenCssUri)}">
<title>VM Screen</title>
</head>
<body>
<header id="status" role="status" aria-live="polite">No debug session</header>
<main id="screen-area">
<canvas id="screen" width="720" height="400" tabindex="0" aria-label="Guest screen: click to type on the guest's keyboard"></canvas>
</main>
<section id="serial" aria-label="Serial console (COM1)"></section>
<script nonce="${nonce}" src="${escapeAttr(scriptUri)}"></script>
</body>
</html>
`;
}
