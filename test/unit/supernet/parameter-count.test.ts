/**
 * The language's parameter estimate (runtime/dsl/memory.ts, what the search-space view shows) is
 * the count a run reports (`started.parameters`, the supernet's trainable weights): for every
 * example space and for every op kind (repeats, strided skips, the identity shortcut, a reduction
 * first, k = 1 and 2). The per-source classes and channels the estimate assumes are those the
 * data readers give.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { classesOf, estimateSupernetMemory, imageSizeOf, inputChannelsOf, loadSearchSpace, type SearchSpace } from '../../../runtime/dsl/index.js';
import { SOURCE_CLASSES } from '../../../runtime/dsl/schema.js';
import { CIFAR10_CLASSES } from '../../../runtime/data/cifar10.js';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES, openSource } from '../../../runtime/data/sources.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { examples } from '../dsl/helpers.js';

/** The trainable weights of the supernet a run builds for `space` (the data's defaults). */
function runtimeCount(space: SearchSpace): number {
  const image = imageSizeOf(space);
  const net = new Supernet(space, { input: [image, image, inputChannelsOf(space)], numClasses: classesOf(space), seed: 1 });
  try {
    return net.parameterCount();
  } finally {
    net.dispose();
  }
}

function load(text: string, name: string): SearchSpace {
  const r = loadSearchSpace(text);
  assert.ok(r.space, `${name}: ${JSON.stringify(r.diagnostics)}`);
  return r.space;
}

describe('parameter estimate = the run\'s count', () => {
  it('every example space', async () => {
    await tf.setBackend('cpu');
    for (const e of examples()) {
      const space = load(e.text, e.name);
      assert.equal(estimateSupernetMemory(space).parameters, runtimeCount(space), e.name);
    }
  });

  it('every op kind, repeated, strided, with the shortcut, k = 1 and 2, a reduction first', async () => {
    await tf.setBackend('cpu');
    const ops = `
      ops = [sep_conv_3x3, dil_conv_5x5, conv_3x3, max_pool_3x3, avg_pool_3x3, skip_connect, none, sep2, conv2, skip2, dil2]
      op sep2 { kind = sep_conv, kernel = 5, repeat = 2 }
      op conv2 { kind = conv, kernel = 1, repeat = 2 }
      op skip2 { kind = skip, repeat = 2 }
      op dil2 { kind = dil_conv, kernel = 3, dilation = 3, repeat = 2 }`;
    let checked = 0;
    for (const k of [1, 2]) {
      for (const shortcut of [false, true]) {
        for (const [source, reductions] of [['synthetic', '[0, 2]'], ['mnist', '[1]']]) {
          const text = `search s {
            data { source = ${source}, image = 8 }
            supernet { cells = 3, reductions = ${reductions}, channels = 4, nodes = 2, stem_multiplier = 3 }
            ${ops}
            binarize { shortcut = ${shortcut} }
            sampling { k = ${k} }
            budget { memory_mb = 100000 }
          }`;
          const space = load(text, `k=${k} shortcut=${shortcut} ${source}`);
          assert.equal(estimateSupernetMemory(space).parameters, runtimeCount(space), `k=${k} shortcut=${shortcut} ${source} reductions ${reductions}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 8);
  });

  it('assumes the classes and channels the data readers give', async () => {
    assert.equal(SOURCE_CLASSES.mnist, MNIST_CLASSES.length);
    assert.equal(SOURCE_CLASSES['fashion-mnist'], FASHION_MNIST_CLASSES.length);
    assert.equal(SOURCE_CLASSES.cifar10, CIFAR10_CLASSES.length);
    const space = load('search s { data { source = synthetic } }', 'synthetic');
    const reader = await openSource(space.data, { seed: 1 });
    assert.equal(classesOf(space), reader.numClasses);
    assert.equal(inputChannelsOf(space), reader.channels);
    assert.equal(imageSizeOf(space), reader.height);
  });
});
