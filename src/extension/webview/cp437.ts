// Code page 437 as Unicode: the character the IBM PC's ROM font draws for
// each byte, the glyph forms for the C0 codes (01h ☺ … 1Fh ▼) and 7Fh ⌂, as
// a text screen shows them. 00h and FFh draw as blanks (NUL, no-break space).
// src/devices/vgaText.ts has the same standard table; the page may not
// import from the device layer, so it keeps its own.

export const CP437_TO_UNICODE: string =
  '\u0000☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?' +
  '@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_' +
  '`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ' +
  'áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** The CP437 byte for a character of CP437_TO_UNICODE. */
export function cp437Code(ch: string): number | undefined {
  const i = CP437_TO_UNICODE.indexOf(ch);
  return i < 0 ? undefined : i;
}
