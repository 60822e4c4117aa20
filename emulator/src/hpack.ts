// HPACK (RFC 7541), the header compression of HTTP/2, as much as the emulator's server needs:
// a full decoder for the header blocks clients send (static and dynamic table, Huffman
// strings), and an encoder for the few response headers gRPC needs, which writes plain
// literals that never enter the client's dynamic table (so the encoder keeps no state).

export class HpackError extends Error {}

const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

// The Huffman code of RFC 7541 (Appendix B) is canonical: codes of one length are consecutive
// in symbol order, shorter codes first. So the bit length of each symbol (0-255, then 256 =
// end of string) defines it entirely. Lengths by runs: [length, first symbol, last symbol].
const CODE_LENGTH_RUNS: ReadonlyArray<readonly [number, number, number]> = [
  [13, 0, 0], [23, 1, 1], [28, 2, 8], [24, 9, 9], [30, 10, 10], [28, 11, 12], [30, 13, 13], [28, 14, 21],
  [30, 22, 22], [28, 23, 31],
  [6, 32, 32], [10, 33, 34], [12, 35, 35], [13, 36, 36], [6, 37, 37], [8, 38, 38], [11, 39, 39], [10, 40, 41],
  [8, 42, 42], [11, 43, 43], [8, 44, 44], [6, 45, 47], [5, 48, 50], [6, 51, 57], [7, 58, 58], [8, 59, 59],
  [15, 60, 60], [6, 61, 61], [12, 62, 62], [10, 63, 63], [13, 64, 64], [6, 65, 65], [7, 66, 87], [8, 88, 88],
  [7, 89, 89], [8, 90, 90], [13, 91, 91], [19, 92, 92], [13, 93, 93], [14, 94, 94], [6, 95, 95], [15, 96, 96],
  [5, 97, 97], [6, 98, 98], [5, 99, 99], [6, 100, 100], [5, 101, 101], [6, 102, 104], [5, 105, 105],
  [7, 106, 107], [6, 108, 110], [5, 111, 111], [6, 112, 112], [7, 113, 113], [6, 114, 114], [5, 115, 116],
  [6, 117, 117], [7, 118, 122], [15, 123, 123], [11, 124, 124], [14, 125, 125], [13, 126, 126], [28, 127, 127],
  [20, 128, 128], [22, 129, 129], [20, 130, 131], [22, 132, 134], [23, 135, 135], [22, 136, 136], [23, 137, 141],
  [24, 142, 142], [23, 143, 143], [24, 144, 145], [22, 146, 146], [23, 147, 147], [24, 148, 148], [23, 149, 152],
  [21, 153, 153], [22, 154, 154], [23, 155, 155], [22, 156, 156], [23, 157, 158], [24, 159, 159], [22, 160, 160],
  [21, 161, 161], [20, 162, 162], [22, 163, 164], [23, 165, 166], [21, 167, 167], [23, 168, 168], [22, 169, 170],
  [24, 171, 171], [21, 172, 172], [22, 173, 173], [23, 174, 175], [21, 176, 177], [22, 178, 178], [21, 179, 179],
  [23, 180, 180], [22, 181, 181], [23, 182, 183], [20, 184, 184], [22, 185, 187], [23, 188, 188], [22, 189, 190],
  [23, 191, 191], [26, 192, 193], [20, 194, 194], [19, 195, 195], [22, 196, 196], [23, 197, 197], [22, 198, 198],
  [25, 199, 199], [26, 200, 202], [27, 203, 204], [26, 205, 205], [24, 206, 206], [25, 207, 207], [19, 208, 208],
  [21, 209, 209], [26, 210, 210], [27, 211, 212], [26, 213, 213], [27, 214, 214], [24, 215, 215], [21, 216, 217],
  [26, 218, 219], [28, 220, 220], [27, 221, 223], [20, 224, 224], [24, 225, 225], [20, 226, 226], [21, 227, 227],
  [22, 228, 228], [21, 229, 230], [23, 231, 231], [22, 232, 233], [25, 234, 235], [24, 236, 237], [26, 238, 238],
  [23, 239, 239], [26, 240, 240], [27, 241, 241], [26, 242, 243], [27, 244, 248], [28, 249, 249], [27, 250, 254],
  [26, 255, 255], [30, 256, 256],
];

const EOS = 256;

/** Canonical decoding tables: per length, the first code, how many codes, where their symbols start. */
const huffman = (() => {
  const lengths = new Uint8Array(257);
  for (const [len, from, to] of CODE_LENGTH_RUNS) for (let s = from; s <= to; s++) lengths[s] = len;
  const symbols: number[] = [];
  const count = new Int32Array(31);
  for (let len = 1; len <= 30; len++) {
    for (let s = 0; s <= 256; s++) {
      if (lengths[s] === len) {
        symbols.push(s);
        count[len]!++;
      }
    }
  }
  const firstCode = new Int32Array(31);
  const offset = new Int32Array(31);
  let code = 0;
  let index = 0;
  for (let len = 1; len <= 30; len++) {
    firstCode[len] = code;
    offset[len] = index;
    code = (code + count[len]!) * 2;
    index += count[len]!;
  }
  // Per symbol, its code (for the tests' encoder and the check below).
  const codes = new Uint32Array(257);
  for (let len = 1; len <= 30; len++) {
    for (let i = 0; i < count[len]!; i++) codes[symbols[offset[len]! + i]!] = firstCode[len]! + i;
  }
  return { lengths, symbols: Uint16Array.from(symbols), count, firstCode, offset, codes };
})();

function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  const { symbols, count, firstCode, offset } = huffman;
  let out = '';
  let code = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const k = code - firstCode[len]!;
      if (k < count[len]!) {
        const sym = symbols[offset[len]! + k]!;
        if (sym === EOS) throw new HpackError('EOS in a Huffman string');
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len >= 30) {
        throw new HpackError('bad Huffman code');
      }
    }
  }
  // What is left must be a prefix of EOS (all ones) shorter than a byte.
  if (len > 7 || code !== (1 << len) - 1) throw new HpackError('bad Huffman padding');
  return out;
}

/** Huffman-encodes a latin1 string (what clients do; used by the tests). */
export function huffmanEncode(s: string): Buffer {
  const { lengths, codes } = huffman;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = lengths[sym]!;
    const code = codes[sym]!;
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | ((code >>> b) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** One connection's decoder: its dynamic table lives as long as the connection. */
export class HpackDecoder {
  /** Newest entry first. */
  private table: Array<readonly [string, string]> = [];
  private size = 0;
  private maxSize: number;
  private pos = 0;
  private buf: Uint8Array = new Uint8Array(0);

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE this side announced (4096 unless changed). */
  constructor(private readonly limit = 4096) {
    this.maxSize = limit;
  }

  /** The header list of one block; a name that comes twice keeps its last value. */
  decode(block: Uint8Array): Record<string, string> {
    this.buf = block;
    this.pos = 0;
    const headers: Record<string, string> = {};
    while (this.pos < block.length) {
      const b = block[this.pos]!;
      if (b & 0x80) {
        const [name, value] = this.entry(this.int(7));
        headers[name] = value;
      } else if (b & 0x40) {
        const index = this.int(6);
        const name = index === 0 ? this.str() : this.entry(index)[0];
        const value = this.str();
        headers[name] = value;
        this.insert(name, value);
      } else if (b & 0x20) {
        const size = this.int(5);
        if (size > this.limit) throw new HpackError('table size update above the limit');
        this.maxSize = size;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001): 4-bit name index.
        const index = this.int(4);
        const name = index === 0 ? this.str() : this.entry(index)[0];
        headers[name] = this.str();
      }
    }
    this.buf = new Uint8Array(0);
    return headers;
  }

  private int(prefixBits: number): number {
    const { buf } = this;
    const mask = (1 << prefixBits) - 1;
    let value = buf[this.pos++]! & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= buf.length) throw new HpackError('truncated integer');
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return value;
      if (shift > 28) throw new HpackError('integer too large');
    }
  }

  private str(): string {
    if (this.pos >= this.buf.length) throw new HpackError('truncated string');
    const huff = (this.buf[this.pos]! & 0x80) !== 0;
    const len = this.int(7);
    const start = this.pos;
    const end = start + len;
    if (end > this.buf.length) throw new HpackError('truncated string');
    this.pos = end;
    if (huff) return huffmanDecode(this.buf, start, end);
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, len).toString('latin1');
  }

  private entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const e = this.table[index - STATIC_TABLE.length - 1];
    if (!e) throw new HpackError(`index ${index} outside the table`);
    return e;
  }

  private insert(name: string, value: string) {
    const size = name.length + value.length + 32;
    this.evict(size);
    if (size <= this.maxSize) {
      this.table.unshift([name, value]);
      this.size += size;
    }
  }

  /** Drops the oldest entries until `room` more octets fit. */
  private evict(room: number) {
    while (this.table.length > 0 && this.size + room > this.maxSize) {
      const [n, v] = this.table.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }
}

function pushInt(out: number[], value: number, prefixBits: number, first: number) {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(first | value);
    return;
  }
  out.push(first | mask);
  value -= mask;
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

function pushStr(out: number[], s: string) {
  const bytes = Buffer.from(s, 'latin1');
  pushInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/**
 * A header block of literals "without indexing" (the client's table is left alone); `:status`
 * 200 uses its static-table entry. Values are latin1 (callers percent- or base64-encode).
 */
export function encodeHeaders(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    if (name === ':status' && value === '200') {
      out.push(0x88);
      continue;
    }
    const index = STATIC_TABLE.findIndex(([n]) => n === name) + 1;
    if (index > 0) {
      pushInt(out, index, 4, 0);
    } else {
      out.push(0);
      pushStr(out, name);
    }
    pushStr(out, value);
  }
  return Buffer.from(out);
}
