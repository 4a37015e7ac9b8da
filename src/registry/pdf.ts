/**
 * Renders a statement's text (domain.ts) as an A4 PDF with pdfkit's built-in Helvetica: no font
 * file is read, and the same text at the same time gives the same bytes (the creation date is the
 * statement's time), so a statement's SHA-256 can be recomputed.
 */
import type PDFKit from 'pdfkit';

/** pdfkit (with fontkit) is loaded on the first PDF, not when Kontor starts. */
let pdfkit: Promise<typeof PDFKit> | null = null;

import type { StatementText } from './domain.ts';

const MARGIN = 56;
const LABEL_WIDTH = 160;
const GAP = 8;
const BODY_SIZE = 10;
const SMALLEST_SIZE = 6.5;
const GREY = '#555555';

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

/** WinAnsi's characters in 0x80–0x9F (the rest is Latin-1). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

function inWinAnsi(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch);
}

/**
 * The built-in fonts encode WinAnsi only (pdfkit writes other characters as garbage): accents
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

/** The largest size (down to a floor) at which a value without spaces (a hash) fits on one line. */
function fittingSize(doc: PDFKit.PDFDocument, value: string, width: number): number {
  if (/\s/.test(value)) return BODY_SIZE;
  let size = BODY_SIZE;
  while (size > SMALLEST_SIZE && doc.fontSize(size).widthOfString(value) > width) size -= 0.5;
  return size;
}

export async function renderStatementPdf(
  text: StatementText,
  meta: { createdAt: string; subject: string },
): Promise<Buffer> {
  pdfkit ??= import('pdfkit').then((m) => m.default);
  const PDFDocument = await pdfkit;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: toWinAnsi(text.title),
      Subject: toWinAnsi(meta.subject),
      Author: toWinAnsi(text.subtitle),
      CreationDate: new Date(meta.createdAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = MARGIN;
  const width = doc.page.width - 2 * MARGIN;
  const valueX = left + LABEL_WIDTH + GAP;
  const valueWidth = width - LABEL_WIDTH - GAP;

  doc.font('Helvetica-Bold').fontSize(16).fillColor('black').text(toWinAnsi(text.title), left, MARGIN, { width });
  doc.moveDown(0.2);
  doc.font('Helvetica').fontSize(BODY_SIZE).fillColor(GREY).text(toWinAnsi(text.subtitle), { width });

  for (const section of text.sections) {
    doc.moveDown(1);
    doc.font('Helvetica-Bold').fontSize(11).fillColor('black').text(toWinAnsi(section.heading), left, doc.y, { width });
    const ruleY = doc.y + 2;
    doc
      .moveTo(left, ruleY)
      .lineTo(left + width, ruleY)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    doc.y = ruleY + 5;
    for (const [rawLabel, rawValue] of section.rows) {
      const label = toWinAnsi(rawLabel);
      const value = toWinAnsi(rawValue);
      const y = doc.y;
      doc.font('Helvetica').fontSize(9).fillColor(GREY);
      const labelHeight = doc.heightOfString(label, { width: LABEL_WIDTH });
      doc.text(label, left, y, { width: LABEL_WIDTH });
      doc
        .font('Helvetica')
        .fontSize(fittingSize(doc, value, valueWidth))
        .fillColor('black');
      const valueHeight = doc.heightOfString(value, { width: valueWidth });
      doc.text(value, valueX, y, { width: valueWidth });
      doc.y = y + Math.max(labelHeight, valueHeight) + 3;
    }
  }

  doc.moveDown(2);
  doc.font('Helvetica').fontSize(8).fillColor(GREY);
  for (const line of text.footer) doc.text(toWinAnsi(line), left, doc.y, { width });
  doc.end();
  return done;
}
