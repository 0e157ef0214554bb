// `node screenshot.mjs DISPLAY OUT.png`: the whole X screen as PNG, from what `xwd`
// writes; run as a process of its own so the tests' own loop is never stalled by it.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

function xwdToPng(xwd) {
  const field = (i) => xwd.readUInt32BE(i * 4);
  const [headerSize, width, height, byteOrder, bitsPerPixel, bytesPerLine, ncolors] = [
    field(0),
    field(4),
    field(5),
    field(7),
    field(11),
    field(12),
    field(19),
  ];
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) throw new Error(`xwd: ${bitsPerPixel} bits per pixel is not handled`);
  const step = bitsPerPixel / 8;
  const pixels = headerSize + ncolors * 12;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const at = pixels + y * bytesPerLine + x * step;
      const value = byteOrder === 0 ? xwd.readUIntLE(at, step) : xwd.readUIntBE(at, step) >>> (step === 4 ? 8 : 0);
      const out = y * (width * 3 + 1) + 1 + x * 3;
      raw[out] = (value >> 16) & 255;
      raw[out + 1] = (value >> 8) & 255;
      raw[out + 2] = value & 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(kind, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(kind, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// Last: the tables above are initialised by now.
const [display, out] = process.argv.slice(2);
writeFileSync(out, xwdToPng(execFileSync("xwd", ["-root", "-silent", "-display", display], { maxBuffer: 64 << 20 })));
