// xterm's DOM renderer keeps its theme colours and cell metrics in <style>
// elements it creates and rewrites at run time. Under the page's CSP
// (style-src without 'unsafe-inline') those are blocked unless they carry
// the page's nonce, and xterm has no option to set one. So every <style>
// element created on this page gets the nonce the page's own script was
// loaded with; nothing else changes about createElement.

export function nonceStyleElements(nonce: string): void {
  if (nonce === '') return;
  const create = Document.prototype.createElement;
  const withNonce = function (this: Document, tagName: string, options?: ElementCreationOptions): HTMLElement {
    const element = create.call(this, tagName, options);
    if (element instanceof HTMLStyleElement) element.nonce = nonce;
    return element;
  };
  Document.prototype.createElement = withNonce as typeof create;
}
