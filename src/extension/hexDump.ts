// The text of a memory dump document: address, 16 bytes in hex, their ASCII.
// No vscode here, so the tests run it directly.

const BYTES_PER_LINE = 16;

/** Classic hex dump lines: address, 16 bytes, their ASCII. `bytes[i] === null`: unreadable. */
export function formatDump(start: number, bytes: readonly (number | null)[]): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += BYTES_PER_LINE) {
    const row = bytes.slice(at, at + BYTES_PER_LINE);
    const hexPart = row.map((b, i) => (b === null ? '??' : b.toString(16).toUpperCase().padStart(2, '0')) + (i === 7 ? '  ' : ' ')).join('');
    const ascii = row.map((b) => (b !== null && b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    const address = ((start + at) >>> 0).toString(16).toUpperCase().padStart(8, '0');
    lines.push(`${address}  ${hexPart.padEnd(BYTES_PER_LINE * 3 + 1)} |${ascii}|`);
  }
  return lines.join('\n') + '\n';
}
