/**
 * Renders a statement's text (domain.ts) as an A4 PDF in the built-in Helvetica, written directly
 * (a text page needs a catalog, fonts by name, content streams and a cross-reference table, and a
 * general PDF library spent ~4 ms of CPU per statement building font tables; this takes a tenth of
 * that). No font file is read or embedded, and the same text at the same time gives the same bytes
 * (the creation date is the statement's time), so a statement's SHA-256 can be recomputed.
 */
import type { StatementText } from './domain.ts';
import { FONTS } from './helvetica.ts';

type FontName = keyof typeof FONTS;

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 56;
const LABEL_WIDTH = 160;
const GAP = 8;
const BODY_SIZE = 10;
const SMALLEST_SIZE = 6.5;
const GREY = 0x55 / 0xff;
const RULE_GREY = 0x99 / 0xff;

/** Characters outside WinAnsi (the built-in fonts' encoding) that have a plain Latin stand-in. */
const STAND_INS: Record<string, string> = {
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ŀ: 'L',
  ŀ: 'l',
  '\u2009': ' ',
  '\u202f': ' ',
};

/** WinAnsi's bytes 0x80–0x9F by character (the rest of WinAnsi is Latin-1). */
const WIN_ANSI_80: Record<string, number> = {
  '€': 0x80,
  '‚': 0x82,
  ƒ: 0x83,
  '„': 0x84,
  '…': 0x85,
  '†': 0x86,
  '‡': 0x87,
  ˆ: 0x88,
  '‰': 0x89,
  Š: 0x8a,
  '‹': 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  '‘': 0x91,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '˜': 0x98,
  '™': 0x99,
  š: 0x9a,
  '›': 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};

function inWinAnsi(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || ch in WIN_ANSI_80;
}

/**
 * The built-in fonts encode WinAnsi only (a reader shows other bytes as other characters): accents
 * outside it are dropped (Ș → S), a few letters get their stand-in, anything else becomes `?`.
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (inWinAnsi(ch)) {
      out += ch;
      continue;
    }
    const standIn = STAND_INS[ch];
    if (standIn !== undefined) {
      out += standIn;
      continue;
    }
    const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
    out += base && [...base].every(inWinAnsi) ? base : /\s/u.test(ch) ? ' ' : '?';
  }
  return out;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The WinAnsi byte of the character at `i` of a text that toWinAnsi has made encodable. */
function winAnsiByte(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code > 0xff ? (WIN_ANSI_80[text[i]!] ?? 0x3f) : code;
}

/** The WinAnsi bytes of the text, in hex. */
function winAnsiHex(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += HEX_BYTE[winAnsiByte(text, i)];
  return out;
}

function widthOf(text: string, font: FontName, size: number): number {
  const widths = FONTS[font].widths;
  let units = 0;
  for (let i = 0; i < text.length; i++) units += widths[winAnsiByte(text, i)] ?? 0;
  return (units * size) / 1000;
}

/** The distance from one line to the next: the font's bounding box height. */
function lineHeight(font: FontName, size: number): number {
  const [, bottom, , top] = FONTS[font].bbox;
  return ((top - bottom) * size) / 1000;
}

/** Breaks a text into lines of at most `width`: at spaces, and inside a word only where it alone is too wide. */
export function wrap(text: string, font: FontName, size: number, width: number): string[] {
  const lines: string[] = [];
  const space = widthOf(' ', font, size);
  for (const paragraph of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    for (const word of paragraph.split(' ')) {
      let wordWidth = widthOf(word, font, size);
      const joined = line === '' ? wordWidth : lineWidth + space + wordWidth;
      if (joined <= width) {
        line = line === '' ? word : `${line} ${word}`;
        lineWidth = joined;
        continue;
      }
      if (line !== '') lines.push(line);
      let rest = word;
      while (wordWidth > width) {
        let cut = rest.length - 1;
        while (cut > 1 && widthOf(rest.slice(0, cut), font, size) > width) cut--;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
        wordWidth = widthOf(rest, font, size);
      }
      line = rest;
      lineWidth = wordWidth;
    }
    lines.push(line);
  }
  return lines;
}

/** The largest size (down to a floor) at which a value without spaces (a hash) fits on one line. */
function fittingSize(value: string, width: number): number {
  if (/\s/.test(value)) return BODY_SIZE;
  let size = BODY_SIZE;
  while (size > SMALLEST_SIZE && widthOf(value, 'Helvetica', size) > width) size -= 0.5;
  return size;
}

const num = (n: number) => String(Math.round(n * 100) / 100);

/** Pages of content-stream operators, laid out top-down from the top margin. */
class Layout {
  readonly pages: string[][] = [[]];
  y = MARGIN;

  private get ops(): string[] {
    return this.pages[this.pages.length - 1]!;
  }

  /** Starts a new page when `height` more does not fit on this one. */
  ensure(height: number): void {
    if (this.y + height > PAGE_HEIGHT - MARGIN && this.y > MARGIN) {
      this.pages.push([]);
      this.y = MARGIN;
    }
  }

  moveDown(lines: number, font: FontName, size: number): void {
    this.y += lines * lineHeight(font, size);
  }

  /** Draws lines (wrapped already) from `y`, the top of the first one, and returns their height. */
  text(lines: string[], x: number, y: number, font: FontName, size: number, grey: number): number {
    const height = lineHeight(font, size);
    const colour = `${num(grey)} ${num(grey)} ${num(grey)} rg`;
    lines.forEach((line, i) => {
      const baseline = PAGE_HEIGHT - (y + i * height + (FONTS[font].ascender * size) / 1000);
      const key = font === 'Helvetica' ? 'F1' : 'F2';
      this.ops.push(`BT /${key} ${num(size)} Tf ${colour} ${num(x)} ${num(baseline)} Td <${winAnsiHex(line)}> Tj ET`);
    });
    return lines.length * height;
  }

  /** A paragraph at the cursor, which moves below it. */
  paragraph(text: string, x: number, width: number, font: FontName, size: number, grey: number): void {
    const lines = wrap(text, font, size, width);
    this.ensure(lineHeight(font, size) * lines.length);
    this.y += this.text(lines, x, this.y, font, size, grey);
  }

  rule(x1: number, x2: number, y: number): void {
    const pdfY = num(PAGE_HEIGHT - y);
    this.ops.push(
      `${num(RULE_GREY)} ${num(RULE_GREY)} ${num(RULE_GREY)} RG 0.5 w ${num(x1)} ${pdfY} m ${num(x2)} ${pdfY} l S`,
    );
  }
}

/** A PDF text string: UTF-16BE with its byte-order mark, in hex. */
function pdfString(text: string): string {
  const bytes = Buffer.from(text, 'utf16le').swap16();
  return `<feff${bytes.toString('hex')}>`;
}

/** PDF date `D:YYYYMMDDHHmmSSZ` of an RFC 3339 instant. */
function pdfDate(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `(D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z)`;
}

/** Serialises the objects (numbered from 1) with their cross-reference table; all of it is one byte per character. */
function pdfFile(objects: string[], rootRef: number, infoRef: number): Buffer {
  let file = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(file.length);
    file += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root ${rootRef} 0 R /Info ${infoRef} 0 R >>`,
    'startxref',
    String(file.length),
    '%%EOF',
    '',
  ].join('\n');
  return Buffer.from(file + xref, 'latin1');
}

export function renderStatementPdf(text: StatementText, meta: { createdAt: string; subject: string }): Buffer {
  const layout = new Layout();
  const left = MARGIN;
  const width = PAGE_WIDTH - 2 * MARGIN;
  const valueX = left + LABEL_WIDTH + GAP;
  const valueWidth = width - LABEL_WIDTH - GAP;

  layout.paragraph(toWinAnsi(text.title), left, width, 'Helvetica-Bold', 16, 0);
  layout.moveDown(0.2, 'Helvetica-Bold', 16);
  layout.paragraph(toWinAnsi(text.subtitle), left, width, 'Helvetica', BODY_SIZE, GREY);

  for (const section of text.sections) {
    layout.moveDown(1, 'Helvetica', BODY_SIZE);
    layout.ensure(lineHeight('Helvetica-Bold', 11) + 30);
    layout.paragraph(toWinAnsi(section.heading), left, width, 'Helvetica-Bold', 11, 0);
    const ruleY = layout.y + 2;
    layout.rule(left, left + width, ruleY);
    layout.y = ruleY + 5;
    for (const [rawLabel, rawValue] of section.rows) {
      const label = toWinAnsi(rawLabel);
      const value = toWinAnsi(rawValue);
      const valueSize = fittingSize(value, valueWidth);
      const labelLines = wrap(label, 'Helvetica', 9, LABEL_WIDTH);
      const valueLines = wrap(value, 'Helvetica', valueSize, valueWidth);
      const height = Math.max(
        lineHeight('Helvetica', 9) * labelLines.length,
        lineHeight('Helvetica', valueSize) * valueLines.length,
      );
      layout.ensure(height);
      const y = layout.y;
      layout.text(labelLines, left, y, 'Helvetica', 9, GREY);
      layout.text(valueLines, valueX, y, 'Helvetica', valueSize, 0);
      layout.y = y + height + 3;
    }
  }

  layout.moveDown(2, 'Helvetica', BODY_SIZE);
  for (const line of text.footer) layout.paragraph(toWinAnsi(line), left, width, 'Helvetica', 8, GREY);

  // 1 catalog, 2 page tree, 3–4 fonts, 5 info, then each page and its content stream.
  const pageRefs = layout.pages.map((_, i) => 6 + 2 * i);
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pageRefs.map((r) => `${r} 0 R`).join(' ')}] /Count ${pageRefs.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>',
    `<< /Producer (Kontor) /Title ${pdfString(text.title)} /Subject ${pdfString(meta.subject)} /Author ${pdfString(text.subtitle)} /CreationDate ${pdfDate(meta.createdAt)} >>`,
  ];
  for (const [i, ops] of layout.pages.entries()) {
    // Not deflated: a page is a few kilobytes, PostgreSQL compresses the stored statement anyway
    // (TOAST), and deflating each one cost more CPU than the rest of the PDF (measured in a batch
    // of 250 statements).
    const stream = ops.join('\n');
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageRefs[i]! + 1} 0 R >>`,
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    );
  }
  return pdfFile(objects, 1, 5);
}
