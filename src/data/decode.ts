// Bytes to text, refusing to guess: a file that is not valid UTF-8 is an error naming the
// line of its first bad byte, never text with U+FFFD in it (in a Latin-1 file `café` and
// `cafè` would both read as `caf\uFFFD`, merging two classes without a word).
import { isUtf8 } from 'node:buffer';
import { GradtuneError } from '../errors.js';
import { TEXT_ENCODINGS, type TextEncoding } from './types.js';

export function checkTextEncoding(encoding: unknown): asserts encoding is TextEncoding {
  if (!(TEXT_ENCODINGS as readonly unknown[]).includes(encoding)) {
    throw new GradtuneError(`unknown --encoding ${JSON.stringify(encoding)}: use one of ${TEXT_ENCODINGS.join(', ')}`);
  }
}

/**
 * A block of whole lines (it ends with a newline, or at the end of the file) as UTF-8
 * bytes for the CSV parser: UTF-8 checked as is, Latin-1 and Windows-1252 decoded and
 * re-encoded. `firstLine` is the block's first line in the file, for the error message;
 * `label` ("data file x.csv") starts it. A UTF-8 byte-order mark is left for the parser.
 */
export function utf8Block(bytes: Buffer, encoding: TextEncoding, label: string, firstLine: number): Buffer {
  switch (encoding) {
    case 'latin1':
      // ISO-8859-1: every byte is the code point of the same number; nothing can be invalid.
      return Buffer.from(bytes.toString('latin1'), 'utf8');
    case 'windows-1252':
      return Buffer.from(new TextDecoder('windows-1252').decode(bytes), 'utf8');
    case 'utf8':
      if (isUtf8(bytes)) return bytes;
      throw invalidUtf8(bytes, label, firstLine);
  }
}

/**
 * Finds the first invalid byte. A newline byte (0x0A) is never part of a multi-byte UTF-8
 * sequence, so the bytes can be checked line by line and the line counted on the way.
 */
function invalidUtf8(bytes: Uint8Array, label: string, firstLine: number): GradtuneError {
  let line = firstLine;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const bad = firstInvalidByte(bytes.subarray(start, end));
    if (bad !== undefined) {
      const byte = bytes[start + bad].toString(16).toUpperCase().padStart(2, '0');
      return new GradtuneError(
        `${label} line ${line} is not valid UTF-8 (byte 0x${byte} at byte ${bad + 1} of the line); ` +
          `if the file is Latin-1 or Windows-1252 (as Excel writes on Windows), say so with --encoding latin1 or --encoding windows-1252, or save it as UTF-8`,
      );
    }
    line++;
    start = end + 1;
  }
  // Unreachable when the block failed to decode; kept so the caller always has an error.
  return new GradtuneError(`${label} is not valid UTF-8; give its --encoding (latin1 or windows-1252) or save it as UTF-8`);
}

/** Offset of the first byte of a line that makes it invalid UTF-8, or undefined. */
function firstInvalidByte(line: Uint8Array): number | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Streamed byte by byte: the decoder throws at the first byte that cannot be valid. When
  // that byte interrupts a multi-byte sequence (é in Latin-1 is a lone lead byte followed by
  // ASCII), the sequence's first byte is the culprit.
  let sequenceStart = 0;
  let remaining = 0;
  for (let i = 0; i < line.length; i++) {
    try {
      decoder.decode(line.subarray(i, i + 1), { stream: true });
    } catch {
      return remaining > 0 ? sequenceStart : i;
    }
    const b = line[i];
    if (b >= 0xc0) {
      sequenceStart = i;
      remaining = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
    } else if (b >= 0x80) {
      remaining--;
    } else {
      remaining = 0;
    }
  }
  try {
    decoder.decode();
  } catch {
    return sequenceStart; // a sequence cut short by the end of the line
  }
  return undefined;
}
