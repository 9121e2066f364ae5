// Writes examples/data/idx-tiny: a small dataset in the MNIST IDX format (12×12 grey images,
// 10 classes, 600 train / 200 test, gzipped) for examples/ucb-idx.bnas and the IDX reader's tests.
// Each class is a line at its own angle through a jittered centre, plus noise, so a small
// network can learn it. Deterministic: run `node examples/data/make-idx-tiny.mjs` to recreate.
import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { gzipSync } from 'node:zlib';

const SIZE = 12;
let state = 12345;
const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);

function image(label) {
  const px = new Uint8Array(SIZE * SIZE);
  const angle = (label * Math.PI) / 10;
  const cx = SIZE / 2 + (random() - 0.5) * 3;
  const cy = SIZE / 2 + (random() - 0.5) * 3;
  for (let t = -5; t <= 5; t += 0.25) {
    const x = Math.round(cx + t * Math.cos(angle));
    const y = Math.round(cy + t * Math.sin(angle));
    if (x >= 0 && x < SIZE && y >= 0 && y < SIZE) px[y * SIZE + x] = 255;
  }
  for (let i = 0; i < px.length; i++) px[i] = Math.min(255, px[i] + Math.floor(random() * 60));
  return px;
}

function idx(magic, dims, body) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(body)]), { level: 9 });
}

function split(count) {
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * SIZE * SIZE);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    images.set(image(labels[i]), i * SIZE * SIZE);
  }
  return { labels, images };
}

const out = new URL('./idx-tiny/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const [prefix, count] of [['train', 600], ['t10k', 200]]) {
  const { labels, images } = split(count);
  writeFileSync(new URL(`${prefix}-images-idx3-ubyte.gz`, out), idx(0x803, [count, SIZE, SIZE], images));
  writeFileSync(new URL(`${prefix}-labels-idx1-ubyte.gz`, out), idx(0x801, [count], labels));
}
console.log('wrote examples/data/idx-tiny');
