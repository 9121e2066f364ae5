/*
 * WebAssembly SIMD kernels of the fused cell's hot loops, compiled by `npm run build`
 * (scripts/build-simd.mjs: clang --target=wasm32 -msimd128, linked by wasm-ld with the memory
 * imported). The module imports TensorFlow.js's own wasm memory, so every pointer here is an
 * address in the tfjs heap: kernels read inputs and write outputs in place, with no copies.
 *
 * Rules that keep that sharing safe:
 *  - no static data and no stack (no local arrays, no calls that spill): the module owns no
 *    byte of the memory it imports; float64 accumulators live in a scratch the caller malloc'ed
 *    from the tfjs heap (test/unit/engine/simd.test.ts checks that a run writes nothing else);
 *  - no libc: -nostdlib -fno-builtin (a loop the compiler turns into memset would need one).
 *
 * Semantics equal the TypeScript loops of cell-kernels.ts / depthwise-fast.ts (NHWC, channels
 * last, float32 values, float64 sums); those loops stay as the fallback on other backends.
 */
#include <wasm_simd128.h>

typedef float f32;
typedef double f64;

#define EXPORT(name) __attribute__((export_name(#name)))

/* sign with sign(0) = +1 (the method's convention), lane-wise. */
static inline v128_t sgn4(v128_t v) {
  return wasm_v128_bitselect(wasm_f32x4_splat(-1.0f), wasm_f32x4_splat(1.0f), wasm_f32x4_lt(v, wasm_f32x4_splat(0.0f)));
}

/* 1[|v| <= 1] as 1.0f / 0.0f, lane-wise (the clipped straight-through window). */
static inline v128_t inside4(v128_t v) {
  return wasm_v128_and(wasm_f32x4_le(wasm_f32x4_abs(v), wasm_f32x4_splat(1.0f)), wasm_f32x4_splat(1.0f));
}

/* acc[0..3] += v (float64 accumulators of 4 lanes). */
static inline void add64(f64 *acc, v128_t v) {
  v128_t lo = wasm_f64x2_promote_low_f32x4(v);
  v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), lo));
  wasm_v128_store(acc + 2, wasm_f64x2_add(wasm_v128_load(acc + 2), hi));
}

/*
 * Depthwise filter gradient: dw[ky, kx, ch] = sum over b, oy, ox of
 * x[b, oy*stride + ky*dil - padTop, ox*stride + kx*dil - padLeft, ch] * dy[b, oy, ox, ch].
 * Image by image (its x and dy stay in cache across the k*k taps): per tap and 8 channels, the
 * valid rows and columns form one rectangle summed in float32 registers (<= Ho*Wo terms), then
 * added to the float64 accumulator acc[k*k*c] (scratch, zeroed here).
 */
EXPORT(dw_filter_grad)
void dw_filter_grad(const f32 *x, const f32 *dy, f32 *dw, f64 *acc, int b, int h, int w, int c, int ho, int wo, int k, int stride, int dil,
                    int padTop, int padLeft) {
  const int taps = k * k;
  for (int i = 0; i < taps * c; i++) acc[i] = 0;
  const int c8 = c - c % 8;
  const int c4 = c - c % 4;
  const int step = stride * c;
  for (int bi = 0; bi < b; bi++) {
    for (int ky = 0; ky < k; ky++) {
      const int offY = ky * dil - padTop;
      const int oyStart = offY >= 0 ? 0 : (-offY + stride - 1) / stride;
      int oyEnd = h - 1 - offY < 0 ? 0 : (h - 1 - offY) / stride + 1;
      if (oyEnd > ho) oyEnd = ho;
      for (int kx = 0; kx < k; kx++) {
        const int offX = kx * dil - padLeft;
        const int oxStart = offX >= 0 ? 0 : (-offX + stride - 1) / stride;
        int oxEnd = w - 1 - offX < 0 ? 0 : (w - 1 - offX) / stride + 1;
        if (oxEnd > wo) oxEnd = wo;
        if (oxEnd <= oxStart || oyEnd <= oyStart) continue;
        f64 *a = acc + (ky * k + kx) * c;
        const int n = oxEnd - oxStart;
        for (int j = 0; j < c4; j += j < c8 ? 8 : 4) {
          const int two = j < c8;
          v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
          for (int oy = oyStart; oy < oyEnd; oy++) {
            const f32 *xp = x + ((long)(bi * h + oy * stride + offY) * w + oxStart * stride + offX) * c + j;
            const f32 *dp = dy + ((long)(bi * ho + oy) * wo + oxStart) * c + j;
            for (int o = 0; o < n; o++, xp += step, dp += c) {
              s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(xp), wasm_v128_load(dp)));
              if (two) s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(xp + 4), wasm_v128_load(dp + 4)));
            }
          }
          add64(a + j, s0);
          if (two) add64(a + j + 4, s1);
        }
        for (int j = c4; j < c; j++) {
          f32 s0 = 0;
          for (int oy = oyStart; oy < oyEnd; oy++) {
            const f32 *xp = x + ((long)(bi * h + oy * stride + offY) * w + oxStart * stride + offX) * c + j;
            const f32 *dp = dy + ((long)(bi * ho + oy) * wo + oxStart) * c + j;
            for (int o = 0; o < n; o++, xp += step, dp += c) s0 += *xp * *dp;
          }
          a[j] += s0;
        }
      }
    }
  }
  for (int i = 0; i < taps * c; i++) dw[i] = (f32)acc[i];
}

/* Pixels summed in float32 before a float64 add (bounds the float32 rounding of BN sums). */
#define CHUNK 64

/*
 * Grouped 1x1 with c = 4 or 2 channels a group, 4 channels (4/c groups) per vector, "quad" q
 * covering channels 4q..4q+3. Weights w[g, ci, co] (row-major). For c = 4 a quad is one group:
 * z = sum_ci a[ci] * row_ci. For c = 2 it is groups 2q and 2q+1:
 * z = (a0, a0, a2, a2) * (w[2q,0,:], w[2q+1,0,:]) + (a1, a1, a3, a3) * (w[2q,1,:], w[2q+1,1,:]).
 */
typedef struct {
  v128_t r0, r1, r2, r3; /* rows (input channel ci -> output lanes) */
  v128_t c0, c1, c2, c3; /* columns (output channel co -> input lanes), for dx */
} QuadWeights;

static inline QuadWeights quad_weights(const f32 *w, int q, int c) {
  QuadWeights m;
  if (c == 4) {
    const f32 *wg = w + 16 * q;
    m.r0 = wasm_v128_load(wg), m.r1 = wasm_v128_load(wg + 4), m.r2 = wasm_v128_load(wg + 8), m.r3 = wasm_v128_load(wg + 12);
    const v128_t t01lo = wasm_i32x4_shuffle(m.r0, m.r1, 0, 4, 1, 5), t23lo = wasm_i32x4_shuffle(m.r2, m.r3, 0, 4, 1, 5);
    const v128_t t01hi = wasm_i32x4_shuffle(m.r0, m.r1, 2, 6, 3, 7), t23hi = wasm_i32x4_shuffle(m.r2, m.r3, 2, 6, 3, 7);
    m.c0 = wasm_i32x4_shuffle(t01lo, t23lo, 0, 1, 4, 5), m.c1 = wasm_i32x4_shuffle(t01lo, t23lo, 2, 3, 6, 7);
    m.c2 = wasm_i32x4_shuffle(t01hi, t23hi, 0, 1, 4, 5), m.c3 = wasm_i32x4_shuffle(t01hi, t23hi, 2, 3, 6, 7);
  } else {
    const f32 *wg = w + 8 * q; /* w[2q]: 0 1 / 2 3, w[2q+1]: 4 5 / 6 7 */
    const v128_t lo = wasm_v128_load(wg), hi = wasm_v128_load(wg + 4);
    m.r0 = wasm_i32x4_shuffle(lo, hi, 0, 1, 4, 5), m.r1 = wasm_i32x4_shuffle(lo, hi, 2, 3, 6, 7);
    m.c0 = wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6), m.c1 = wasm_i32x4_shuffle(lo, hi, 1, 3, 5, 7);
    m.r2 = m.r3 = m.c2 = m.c3 = wasm_f32x4_splat(0.0f);
  }
  return m;
}

/* sum_i spread_i(v) * m_i: the product of a quad's 4 lanes with 4 (c = 4) or 2 (c = 2) vectors. */
static inline v128_t quad_product(v128_t v, v128_t m0, v128_t m1, v128_t m2, v128_t m3, int c) {
  if (c == 2) {
    return wasm_f32x4_add(wasm_f32x4_mul(wasm_i32x4_shuffle(v, v, 0, 0, 2, 2), m0), wasm_f32x4_mul(wasm_i32x4_shuffle(v, v, 1, 1, 3, 3), m1));
  }
  v128_t z = wasm_f32x4_mul(wasm_i32x4_shuffle(v, v, 0, 0, 0, 0), m0);
  z = wasm_f32x4_add(z, wasm_f32x4_mul(wasm_i32x4_shuffle(v, v, 1, 1, 1, 1), m1));
  z = wasm_f32x4_add(z, wasm_f32x4_mul(wasm_i32x4_shuffle(v, v, 2, 2, 2, 2), m2));
  return wasm_f32x4_add(z, wasm_f32x4_mul(wasm_i32x4_shuffle(v, v, 3, 3, 3, 3), m3));
}

/*
 * sign? -> grouped 1x1 (c = 4 or 2 channels a group, 4g/c... total channels a multiple of 4) ->
 * batch norm (no affine), for x [p, total]: y = (z - mean) * rstd per channel. Writes y (z
 * first, then normalized in place) and rstd [total]; acc: scratch of 2 * total float64.
 */
EXPORT(pw_bn_forward)
void pw_bn_forward(const f32 *x, const f32 *w, f32 *y, f32 *rstd, f64 *acc, int p, int total, int c, int signInput, f32 eps) {
  for (int q = 0; q < total / 4; q++) {
    const QuadWeights m = quad_weights(w, q, c);
    f64 *sum = acc + 8 * q, *sq = sum + 4;
    for (int i = 0; i < 8; i++) sum[i] = 0;
    const f32 *xp = x + 4 * q;
    f32 *zp = y + 4 * q;
    for (int i0 = 0; i0 < p; i0 += CHUNK) {
      const int i1 = i0 + CHUNK < p ? i0 + CHUNK : p;
      v128_t s = wasm_f32x4_splat(0.0f), s2 = s;
      for (int i = i0; i < i1; i++, xp += total, zp += total) {
        v128_t a = wasm_v128_load(xp);
        if (signInput) a = sgn4(a);
        const v128_t z = quad_product(a, m.r0, m.r1, m.r2, m.r3, c);
        wasm_v128_store(zp, z);
        s = wasm_f32x4_add(s, z);
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(z, z));
      }
      add64(sum, s);
      add64(sq, s2);
    }
    /* One-pass moments in float64, as the TypeScript kernel (products are O(1), near-zero mean). */
    for (int j = 0; j < 4; j++) {
      const f64 mean = sum[j] / p;
      f64 var = sq[j] / p - mean * mean;
      if (var < 0) var = 0;
      sum[j] = mean;
      rstd[4 * q + j] = (f32)(1.0 / __builtin_sqrt(var + (f64)eps));
    }
    const v128_t mv = wasm_f32x4_make((f32)sum[0], (f32)sum[1], (f32)sum[2], (f32)sum[3]);
    const v128_t rv = wasm_v128_load(rstd + 4 * q);
    zp = y + 4 * q;
    for (int i = 0; i < p; i++, zp += total) wasm_v128_store(zp, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(zp), mv), rv));
  }
}

/*
 * Backward of pw_bn_forward. Inputs dy, x, w, y (= normalized output), rstd; outputs dx, dw.
 * dz = rstd * (dy - mean(dy) - y * mean(dy * y)) computed on the fly; dw[g] = a^T dz;
 * dx = (dz w^T) * 1[|x| <= 1 if sign]. acc: scratch of 6 * total float64. want: 1 = dx, 2 = dw,
 * 3 = both (an architecture step needs dx only); what is computed is computed the same way.
 */
EXPORT(pw_bn_backward)
void pw_bn_backward(const f32 *dy, const f32 *x, const f32 *w, const f32 *y, const f32 *rstd, f32 *dx, f32 *dw, f64 *acc, int p, int total,
                    int c, int signInput, int want) {
  const int wantDx = want & 1, wantDw = want & 2;
  for (int q = 0; q < total / 4; q++) {
    f64 *sdy = acc + 24 * q, *sdyy = sdy + 4, *gw = sdy + 8;
    for (int i = 0; i < 24; i++) sdy[i] = 0;
    const f32 *dp = dy + 4 * q, *yp = y + 4 * q;
    for (int i0 = 0; i0 < p; i0 += CHUNK) {
      const int i1 = i0 + CHUNK < p ? i0 + CHUNK : p;
      v128_t s = wasm_f32x4_splat(0.0f), s2 = s;
      for (int i = i0; i < i1; i++, dp += total, yp += total) {
        const v128_t d = wasm_v128_load(dp);
        s = wasm_f32x4_add(s, d);
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(d, wasm_v128_load(yp)));
      }
      add64(sdy, s);
      add64(sdyy, s2);
    }
    const v128_t mdy = wasm_f32x4_make((f32)(sdy[0] / p), (f32)(sdy[1] / p), (f32)(sdy[2] / p), (f32)(sdy[3] / p));
    const v128_t mdyy = wasm_f32x4_make((f32)(sdyy[0] / p), (f32)(sdyy[1] / p), (f32)(sdyy[2] / p), (f32)(sdyy[3] / p));
    const v128_t r = wasm_v128_load(rstd + 4 * q);
    const QuadWeights m = quad_weights(w, q, c);
    const f32 *xp = x + 4 * q;
    f32 *xo = dx + 4 * q;
    dp = dy + 4 * q;
    yp = y + 4 * q;
    for (int i0 = 0; i0 < p; i0 += CHUNK) {
      const int i1 = i0 + CHUNK < p ? i0 + CHUNK : p;
      v128_t g0 = wasm_f32x4_splat(0.0f), g1 = g0, g2 = g0, g3 = g0;
      for (int i = i0; i < i1; i++, xp += total, xo += total, dp += total, yp += total) {
        const v128_t xv = wasm_v128_load(xp);
        const v128_t a = signInput ? sgn4(xv) : xv;
        const v128_t d = wasm_f32x4_mul(r, wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dp), mdy), wasm_f32x4_mul(wasm_v128_load(yp), mdyy)));
        /* dw rows: g_ci += spread_ci(a) * d */
        if (!wantDw) {
        } else if (c == 4) {
          g0 = wasm_f32x4_add(g0, wasm_f32x4_mul(wasm_i32x4_shuffle(a, a, 0, 0, 0, 0), d));
          g1 = wasm_f32x4_add(g1, wasm_f32x4_mul(wasm_i32x4_shuffle(a, a, 1, 1, 1, 1), d));
          g2 = wasm_f32x4_add(g2, wasm_f32x4_mul(wasm_i32x4_shuffle(a, a, 2, 2, 2, 2), d));
          g3 = wasm_f32x4_add(g3, wasm_f32x4_mul(wasm_i32x4_shuffle(a, a, 3, 3, 3, 3), d));
        } else {
          g0 = wasm_f32x4_add(g0, wasm_f32x4_mul(wasm_i32x4_shuffle(a, a, 0, 0, 2, 2), d));
          g1 = wasm_f32x4_add(g1, wasm_f32x4_mul(wasm_i32x4_shuffle(a, a, 1, 1, 3, 3), d));
        }
        if (wantDx) {
          v128_t e = quad_product(d, m.c0, m.c1, m.c2, m.c3, c);
          if (signInput) e = wasm_f32x4_mul(e, inside4(xv));
          wasm_v128_store(xo, e);
        }
      }
      add64(gw, g0);
      add64(gw + 4, g1);
      add64(gw + 8, g2);
      add64(gw + 12, g3);
    }
    if (!wantDw) {
    } else if (c == 4) {
      for (int i = 0; i < 16; i++) dw[16 * q + i] = (f32)gw[i];
    } else {
      /* g0 lanes: dw[2q,0,0..1], dw[2q+1,0,0..1]; g1 lanes: dw[2q,1,0..1], dw[2q+1,1,0..1] */
      f32 *d = dw + 8 * q;
      d[0] = (f32)gw[0], d[1] = (f32)gw[1], d[4] = (f32)gw[2], d[5] = (f32)gw[3];
      d[2] = (f32)gw[4], d[3] = (f32)gw[5], d[6] = (f32)gw[6], d[7] = (f32)gw[7];
    }
  }
}

/*
 * Weighted channel gather-sum (partial channels, op and edge mixing, bypass, shuffle, concat):
 * out[px, target] += coef * map[px, channel] over runs of up to 4 terms that read consecutive
 * channels of one map with one coefficient. A run is 8 ints: map, channel, channels of the map,
 * len | wantCoef << 8, then its 4 targets; coef[r] is its coefficient. Pixels go in blocks of
 * CHUNK, runs inside a block, so a block's output and input rows stay in cache across runs.
 */
#define RUN_INTS 8

static inline void zero(f32 *p, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, wasm_f32x4_splat(0.0f));
  for (; i < n; i++) p[i] = 0;
}

static inline int consecutive(const int *t) { return t[1] == t[0] + 1 && t[2] == t[0] + 2 && t[3] == t[0] + 3; }

EXPORT(channel_mix_forward)
void channel_mix_forward(const int *runs, const f32 *coef, int nruns, const int *mapPtr, f32 *out, int p, int co) {
  zero(out, p * co);
  for (int start = 0; start < p; start += CHUNK) {
    const int end = start + CHUNK < p ? start + CHUNK : p;
    for (int r = 0; r < nruns; r++) {
      const int *run = runs + RUN_INTS * r;
      const int st = run[2], len = run[3] & 255;
      const f32 *a = (const f32 *)mapPtr[run[0]] + (long)start * st + run[1];
      f32 *o = out + (long)start * co;
      const f32 kt = coef[r];
      const int *t = run + 4;
      if (len == 4) {
        const v128_t kv = wasm_f32x4_splat(kt);
        if (consecutive(t)) {
          f32 *ot = o + t[0];
          for (int i = start; i < end; i++, a += st, ot += co) wasm_v128_store(ot, wasm_f32x4_add(wasm_v128_load(ot), wasm_f32x4_mul(kv, wasm_v128_load(a))));
        } else {
          for (int i = start; i < end; i++, a += st, o += co) {
            const v128_t v = wasm_f32x4_mul(kv, wasm_v128_load(a));
            o[t[0]] += wasm_f32x4_extract_lane(v, 0);
            o[t[1]] += wasm_f32x4_extract_lane(v, 1);
            o[t[2]] += wasm_f32x4_extract_lane(v, 2);
            o[t[3]] += wasm_f32x4_extract_lane(v, 3);
          }
        }
        continue;
      }
      for (int q = 0; q < len; q++) {
        const f32 *aq = a + q;
        f32 *oq = o + t[q];
        for (int i = start; i < end; i++, aq += st, oq += co) *oq += kt * *aq;
      }
    }
  }
}

/*
 * Backward of channel_mix_forward: dx_m[px, channel] += coef * dy[px, target] for every map m
 * (dxPtr[m], mapC[m] channels, zeroed here), and dk[r] = sum dy * map for runs that want their
 * coefficient's gradient (float64, scratch).
 */
EXPORT(channel_mix_backward)
void channel_mix_backward(const int *runs, const f32 *coef, int nruns, const int *mapPtr, const int *dxPtr, const int *mapC, int nmaps,
                          const f32 *dy, f64 *dk, int p, int co) {
  for (int m = 0; m < nmaps; m++) zero((f32 *)dxPtr[m], p * mapC[m]);
  for (int r = 0; r < nruns; r++) dk[r] = 0;
  for (int start = 0; start < p; start += CHUNK) {
    const int end = start + CHUNK < p ? start + CHUNK : p;
    for (int r = 0; r < nruns; r++) {
      const int *run = runs + RUN_INTS * r;
      const int st = run[2], len = run[3] & 255, want = run[3] >> 8;
      const long off = (long)start * st + run[1];
      const f32 *a = (const f32 *)mapPtr[run[0]] + off;
      f32 *dx = (f32 *)dxPtr[run[0]] + off;
      const f32 *d = dy + (long)start * co;
      const f32 kt = coef[r];
      const int *t = run + 4;
      if (len == 4) {
        const v128_t kv = wasm_f32x4_splat(kt);
        v128_t s = wasm_f32x4_splat(0.0f);
        const int cons = consecutive(t);
        for (int i = start; i < end; i++, a += st, dx += st, d += co) {
          const v128_t dv = cons ? wasm_v128_load(d + t[0]) : wasm_f32x4_make(d[t[0]], d[t[1]], d[t[2]], d[t[3]]);
          wasm_v128_store(dx, wasm_f32x4_add(wasm_v128_load(dx), wasm_f32x4_mul(kv, dv)));
          if (want) s = wasm_f32x4_add(s, wasm_f32x4_mul(dv, wasm_v128_load(a)));
        }
        if (want) {
          dk[r] += (f64)wasm_f32x4_extract_lane(s, 0) + (f64)wasm_f32x4_extract_lane(s, 1) + (f64)wasm_f32x4_extract_lane(s, 2) +
                   (f64)wasm_f32x4_extract_lane(s, 3);
        }
        continue;
      }
      for (int q = 0; q < len; q++) {
        const f32 *aq = a + q;
        f32 *dq = dx + q;
        const f32 *dd = d + t[q];
        f32 s = 0;
        for (int i = start; i < end; i++, aq += st, dq += st, dd += co) {
          *dq += kt * *dd;
          if (want) s += *dd * *aq;
        }
        dk[r] += s;
      }
    }
  }
}

/*
 * Dense conv filter gradient ('same' padding, stride s): dw[ky, kx, ci, co] = sum over b, oy, ox
 * of x[b, oy*s + ky - padTop, ox*s + kx - padLeft, ci] * dy[b, oy, ox, co], vectorized over co.
 * Each image is summed in float32 into part (floats, k*k*ci*co) and then added to acc (float64,
 * k*k*ci*co); both live in the scratch. For the stem and the stride-2 1x1 convs of factorized
 * reduce, which otherwise need k*k strided slices, a concat and two transposes per call.
 */
EXPORT(conv_filter_grad)
void conv_filter_grad(const f32 *x, const f32 *dy, f32 *dw, f64 *acc, f32 *part, int b, int h, int w, int ci, int ho, int wo, int co, int k,
                      int stride, int padTop, int padLeft) {
  const int n = k * k * ci * co;
  const int co4 = co - co % 4;
  for (int i = 0; i < n; i++) acc[i] = 0;
  for (int bi = 0; bi < b; bi++) {
    zero(part, n);
    for (int oy = 0; oy < ho; oy++) {
      for (int ox = 0; ox < wo; ox++) {
        const f32 *d = dy + ((long)(bi * ho + oy) * wo + ox) * co;
        for (int ky = 0; ky < k; ky++) {
          const int iy = oy * stride + ky - padTop;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < k; kx++) {
            const int ix = ox * stride + kx - padLeft;
            if (ix < 0 || ix >= w) continue;
            const f32 *xp = x + ((long)(bi * h + iy) * w + ix) * ci;
            f32 *pp = part + (ky * k + kx) * ci * co;
            for (int c = 0; c < ci; c++, pp += co) {
              const f32 xv = xp[c];
              const v128_t xs = wasm_f32x4_splat(xv);
              int j = 0;
              for (; j < co4; j += 4) wasm_v128_store(pp + j, wasm_f32x4_add(wasm_v128_load(pp + j), wasm_f32x4_mul(xs, wasm_v128_load(d + j))));
              for (; j < co; j++) pp[j] += xv * d[j];
            }
          }
        }
      }
    }
    for (int i = 0; i < n; i++) acc[i] += part[i];
  }
  for (int i = 0; i < n; i++) dw[i] = (f32)acc[i];
}

/* ---------------------------------------------------------------- sign and batch norm */

/* y = sign(x) (sign(0) = +1) over n floats. */
EXPORT(sign_forward)
void sign_forward(const f32 *x, f32 *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, sgn4(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = x[i] < 0 ? -1.0f : 1.0f;
}

/* dx = dy * 1[|x| <= 1] over n floats (the clipped straight-through estimator). */
EXPORT(sign_backward)
void sign_backward(const f32 *dy, const f32 *x, f32 *dx, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), inside4(wasm_v128_load(x + i))));
  for (; i < n; i++) dx[i] = (x[i] <= 1 && x[i] >= -1) ? dy[i] : 0;
}

/*
 * Per-channel sums over p pixels (rows `stride` floats apart) of c channels: s1[ch] += sum a, and s2[ch] += sum a*b when b is
 * given (a is centred by `center` first when given). float32 partials over CHUNK pixels (part, c
 * floats) are added into the float64 sums.
 */
static void channel_sums(const f32 *a, const f32 *b, const f32 *center, f64 *s1, f64 *s2, f32 *part1, f32 *part2, int p, int c, int stride) {
  const int c4 = c - c % 4;
  for (int i0 = 0; i0 < p; i0 += CHUNK) {
    const int i1 = i0 + CHUNK < p ? i0 + CHUNK : p;
    zero(part1, c);
    if (s2) zero(part2, c);
    for (int i = i0; i < i1; i++) {
      const f32 *ar = a + (long)i * stride;
      const f32 *br = b ? b + (long)i * stride : 0;
      int j = 0;
      for (; j < c4; j += 4) {
        v128_t v = wasm_v128_load(ar + j);
        if (center) v = wasm_f32x4_sub(v, wasm_v128_load(center + j));
        if (!s2) {
          wasm_v128_store(part1 + j, wasm_f32x4_add(wasm_v128_load(part1 + j), v));
          continue;
        }
        const v128_t u = br ? wasm_v128_load(br + j) : v;
        wasm_v128_store(part1 + j, wasm_f32x4_add(wasm_v128_load(part1 + j), v));
        wasm_v128_store(part2 + j, wasm_f32x4_add(wasm_v128_load(part2 + j), wasm_f32x4_mul(v, u)));
      }
      for (; j < c; j++) {
        f32 v = ar[j];
        if (center) v -= center[j];
        const f32 u = br ? br[j] : v;
        part1[j] += v;
        if (s2) part2[j] += v * u;
      }
    }
    for (int j = 0; j < c; j++) {
      s1[j] += part1[j];
      if (s2) s2[j] += part2[j];
    }
  }
}

/*
 * Batch norm without affine terms over x [p, c]: y = (x - mean) * rstd with the two-pass
 * (centred) variance, as cell-kernels.ts. Scratch: acc 3c float64, part 3c float32.
 */
/*
 * The two passes of a batch norm's statistics over x [p, c]: the mean into meanf, then the
 * centred sums of squares, returned (acc + 2c). Scratch: acc 3c float64, part 2c float32.
 */
static const f64 *bn_stats(const f32 *x, f32 *meanf, f64 *acc, f32 *part, int p, int c) {
  f64 *sum = acc, *s1 = acc + c, *s2 = acc + 2 * c;
  for (int j = 0; j < 3 * c; j++) acc[j] = 0;
  channel_sums(x, 0, 0, sum, 0, part, part + c, p, c, c);
  for (int j = 0; j < c; j++) meanf[j] = (f32)(sum[j] / p);
  channel_sums(x, 0, meanf, s1, s2, part, part + c, p, c, c);
  return s2;
}

EXPORT(bn_forward)
void bn_forward(const f32 *x, f32 *y, f32 *rstd, f64 *acc, f32 *part, int p, int c, f32 eps) {
  f32 *meanf = part + 2 * c;
  const f64 *s2 = bn_stats(x, meanf, acc, part, p, c);
  for (int j = 0; j < c; j++) rstd[j] = (f32)(1.0 / __builtin_sqrt(s2[j] / p + (f64)eps));
  const int c4 = c - c % 4;
  for (int i = 0; i < p; i++) {
    const f32 *xr = x + (long)i * c;
    f32 *yr = y + (long)i * c;
    int j = 0;
    for (; j < c4; j += 4) wasm_v128_store(yr + j, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(meanf + j)), wasm_v128_load(rstd + j)));
    for (; j < c; j++) yr[j] = (xr[j] - meanf[j]) * rstd[j];
  }
}

/*
 * Backward of bn_forward: dx = rstd * (dy - mean(dy) - y * mean(dy * y)). Scratch: acc 2c
 * float64, part 2c float32.
 */
EXPORT(bn_backward)
void bn_backward(const f32 *dy, const f32 *y, const f32 *rstd, f32 *dx, f64 *acc, f32 *part, int p, int c) {
  f64 *sdy = acc, *sdyy = acc + c;
  for (int j = 0; j < 2 * c; j++) acc[j] = 0;
  channel_sums(dy, y, 0, sdy, sdyy, part, part + c, p, c, c);
  f32 *m = part, *n = part + c;
  for (int j = 0; j < c; j++) {
    m[j] = (f32)(sdy[j] / p);
    n[j] = (f32)(sdyy[j] / p);
  }
  const int c4 = c - c % 4;
  for (int i = 0; i < p; i++) {
    const f32 *dr = dy + (long)i * c, *yr = y + (long)i * c;
    f32 *xr = dx + (long)i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      const v128_t d = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dr + j), wasm_v128_load(m + j)), wasm_f32x4_mul(wasm_v128_load(yr + j), wasm_v128_load(n + j)));
      wasm_v128_store(xr + j, wasm_f32x4_mul(wasm_v128_load(rstd + j), d));
    }
    for (; j < c; j++) xr[j] = rstd[j] * (dr[j] - m[j] - yr[j] * n[j]);
  }
}

/*
 * Training batch norm with affine terms over x [p, c]: y = (x - mean) * gamma * rstd + beta, and
 * the batch mean and biased variance (as bn_forward's two passes). Scratch: acc 3c float64, part
 * 3c float32.
 */
EXPORT(bn_train_forward)
void bn_train_forward(const f32 *x, const f32 *gamma, const f32 *beta, f32 *y, f32 *mean, f32 *var, f64 *acc, f32 *part, int p, int c, f32 eps) {
  f32 *scale = part + 2 * c;
  const f64 *s2 = bn_stats(x, mean, acc, part, p, c);
  for (int j = 0; j < c; j++) {
    var[j] = (f32)(s2[j] / p);
    scale[j] = (f32)(gamma[j] / __builtin_sqrt(s2[j] / p + (f64)eps));
  }
  const int c4 = c - c % 4;
  for (int i = 0; i < p; i++) {
    const f32 *xr = x + (long)i * c;
    f32 *yr = y + (long)i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      const v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j)), wasm_v128_load(scale + j));
      wasm_v128_store(yr + j, wasm_f32x4_add(v, wasm_v128_load(beta + j)));
    }
    for (; j < c; j++) yr[j] = (xr[j] - mean[j]) * scale[j] + beta[j];
  }
}

/*
 * Backward of bn_train_forward: dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * rstd * (dy -
 * mean(dy) - xhat * mean(dy * xhat)) with xhat = (x - mean) * rstd. Scratch: acc 3c float64, part
 * 6c float32.
 */
EXPORT(bn_train_backward)
void bn_train_backward(const f32 *dy, const f32 *x, const f32 *gamma, const f32 *mean, const f32 *var, f32 *dx, f32 *dgamma, f32 *dbeta, f64 *acc, f32 *part, int p,
                       int c, f32 eps) {
  f64 *sdy = acc, *s1 = acc + c, *sdx = acc + 2 * c;
  f32 *rstd = part + 2 * c, *mdy = part + 3 * c, *mdx = part + 4 * c, *grs = part + 5 * c;
  for (int j = 0; j < 3 * c; j++) acc[j] = 0;
  channel_sums(dy, 0, 0, sdy, 0, part, part + c, p, c, c);
  channel_sums(x, dy, mean, s1, sdx, part, part + c, p, c, c);
  for (int j = 0; j < c; j++) {
    const f64 r = 1.0 / __builtin_sqrt((f64)var[j] + (f64)eps);
    rstd[j] = (f32)r;
    dbeta[j] = (f32)sdy[j];
    dgamma[j] = (f32)(sdx[j] * r);
    mdy[j] = (f32)(sdy[j] / p);
    mdx[j] = (f32)(sdx[j] * r / p);
    grs[j] = (f32)(gamma[j] * r);
  }
  const int c4 = c - c % 4;
  for (int i = 0; i < p; i++) {
    const f32 *dr = dy + (long)i * c, *xr = x + (long)i * c;
    f32 *out = dx + (long)i * c;
    int j = 0;
    for (; j < c4; j += 4) {
      const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j)), wasm_v128_load(rstd + j));
      const v128_t d = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dr + j), wasm_v128_load(mdy + j)), wasm_f32x4_mul(xh, wasm_v128_load(mdx + j)));
      wasm_v128_store(out + j, wasm_f32x4_mul(wasm_v128_load(grs + j), d));
    }
    for (; j < c; j++) out[j] = grs[j] * (dr[j] - mdy[j] - (xr[j] - mean[j]) * rstd[j] * mdx[j]);
  }
}

/* ---------------------------------------------------------------- pooling ('same', k x k, stride s) */

/* The input rows [y0, y1) and columns [x0, x1) of an output pixel's window, padding cut off. */
typedef struct {
  int y0, y1, x0, x1;
} Window;

static inline Window window_of(int oy, int ox, int k, int stride, int padTop, int padLeft, int h, int w) {
  Window v = {oy * stride - padTop, oy * stride - padTop + k, ox * stride - padLeft, ox * stride - padLeft + k};
  if (v.y0 < 0) v.y0 = 0;
  if (v.x0 < 0) v.x0 = 0;
  if (v.y1 > h) v.y1 = h;
  if (v.x1 > w) v.x1 = w;
  return v;
}

/*
 * Pooling of every output pixel, 4 channels at a time (c a multiple of 4: the caller checks):
 * max (the first maximum in row-major order routes the gradient) or the average without the
 * padding in the count (count_include_pad = False). Forward writes y; backward (dy given)
 * writes dx, summed where windows overlap.
 */
static void pool(int isMax, const f32 *x, f32 *y, const f32 *dy, f32 *dx, int b, int h, int w, int c, int ho, int wo, int k, int stride,
                 int padTop, int padLeft) {
  if (dx) zero(dx, b * h * w * c);
  for (int bi = 0; bi < b; bi++) {
    for (int oy = 0; oy < ho; oy++) {
      for (int ox = 0; ox < wo; ox++) {
        const Window v = window_of(oy, ox, k, stride, padTop, padLeft, h, w);
        const long o = ((long)(bi * ho + oy) * wo + ox) * c;
        const long row = (long)bi * h;
        const v128_t inv = wasm_f32x4_splat(1.0f / (f32)((v.y1 - v.y0) * (v.x1 - v.x0)));
        for (int j = 0; j < c; j += 4) {
          if (!isMax && dx) {
            const v128_t g = wasm_f32x4_mul(wasm_v128_load(dy + o + j), inv);
            for (int iy = v.y0; iy < v.y1; iy++) {
              for (int ix = v.x0; ix < v.x1; ix++) {
                f32 *p = dx + ((row + iy) * w + ix) * c + j;
                wasm_v128_store(p, wasm_f32x4_add(wasm_v128_load(p), g));
              }
            }
            continue;
          }
          v128_t m = wasm_f32x4_splat(isMax ? -__builtin_inff() : 0.0f);
          v128_t at = wasm_i32x4_splat(0);
          for (int iy = v.y0; iy < v.y1; iy++) {
            for (int ix = v.x0; ix < v.x1; ix++) {
              const int off = ((row + iy) * w + ix) * c + j;
              const v128_t in = wasm_v128_load(x + off);
              if (!isMax) {
                m = wasm_f32x4_add(m, in);
              } else {
                const v128_t gt = wasm_f32x4_gt(in, m);
                m = wasm_v128_bitselect(in, m, gt);
                at = wasm_v128_bitselect(wasm_i32x4_splat(off), at, gt);
              }
            }
          }
          if (!dx) {
            wasm_v128_store(y + o + j, isMax ? m : wasm_f32x4_mul(m, inv));
            continue;
          }
          dx[wasm_i32x4_extract_lane(at, 0)] += dy[o + j];
          dx[wasm_i32x4_extract_lane(at, 1) + 1] += dy[o + j + 1];
          dx[wasm_i32x4_extract_lane(at, 2) + 2] += dy[o + j + 2];
          dx[wasm_i32x4_extract_lane(at, 3) + 3] += dy[o + j + 3];
        }
      }
    }
  }
}

EXPORT(max_pool_forward)
void max_pool_forward(const f32 *x, f32 *y, int b, int h, int w, int c, int ho, int wo, int k, int stride, int padTop, int padLeft) {
  pool(1, x, y, 0, 0, b, h, w, c, ho, wo, k, stride, padTop, padLeft);
}

EXPORT(max_pool_backward)
void max_pool_backward(const f32 *dy, const f32 *x, f32 *dx, int b, int h, int w, int c, int ho, int wo, int k, int stride, int padTop,
                       int padLeft) {
  pool(1, x, 0, dy, dx, b, h, w, c, ho, wo, k, stride, padTop, padLeft);
}

EXPORT(avg_pool_forward)
void avg_pool_forward(const f32 *x, f32 *y, int b, int h, int w, int c, int ho, int wo, int k, int stride, int padTop, int padLeft) {
  pool(0, x, y, 0, 0, b, h, w, c, ho, wo, k, stride, padTop, padLeft);
}

EXPORT(avg_pool_backward)
void avg_pool_backward(const f32 *dy, f32 *dx, int b, int h, int w, int c, int ho, int wo, int k, int stride, int padTop, int padLeft) {
  pool(0, 0, 0, dy, dx, b, h, w, c, ho, wo, k, stride, padTop, padLeft);
}

/* ---------------------------------------------------------------- depthwise conv */

/*
 * Depthwise k x k conv ('same', stride, dilation; multiplier 1; c a multiple of 4) and its input
 * gradient, as one loop: forward (transposed = 0) dst[b, oy, ox] += src[b, iy, ix] * w[ky, kx];
 * input gradient (transposed = 1) dst[b, iy, ix] += src[b, oy, ox] * w[ky, kx], with
 * iy = oy*stride + ky*dil - padTop (ix alike). The forward runs in gather form (dw_conv_gather);
 * the input gradient scatters row by row of the output: the rows touched stay in L1 across the
 * k*k taps, and each tap's valid columns form one span.
 */
/*
 * Forward depthwise conv in gather form: each output pixel's channels summed over the k*k taps in
 * registers, nv (1-4) vectors of 4 channels from channel j, one store per output vector.
 */
static inline void dw_gather_block(const f32 *x, const f32 *w, f32 *yo, int j, int nv, int bi, int oy, int ox, int h, int wd, int c, int k,
                                   int stride, int dil, int padTop, int padLeft) {
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (int ky = 0; ky < k; ky++) {
    const int iy = oy * stride + ky * dil - padTop;
    if (iy < 0 || iy >= h) continue;
    for (int kx = 0; kx < k; kx++) {
      const int ix = ox * stride + kx * dil - padLeft;
      if (ix < 0 || ix >= wd) continue;
      const f32 *xi = x + ((long)(bi * h + iy) * wd + ix) * c + j;
      const f32 *wt = w + (ky * k + kx) * c + j;
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(xi), wasm_v128_load(wt)));
      if (nv > 1) s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(xi + 4), wasm_v128_load(wt + 4)));
      if (nv > 2) s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(xi + 8), wasm_v128_load(wt + 8)));
      if (nv > 3) s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(xi + 12), wasm_v128_load(wt + 12)));
    }
  }
  wasm_v128_store(yo + j, s0);
  if (nv > 1) wasm_v128_store(yo + j + 4, s1);
  if (nv > 2) wasm_v128_store(yo + j + 8, s2);
  if (nv > 3) wasm_v128_store(yo + j + 12, s3);
}

static void dw_conv_gather(const f32 *x, const f32 *w, f32 *y, int b, int h, int wd, int c, int ho, int wo, int k, int stride, int dil,
                           int padTop, int padLeft) {
  for (int bi = 0; bi < b; bi++) {
    for (int oy = 0; oy < ho; oy++) {
      for (int ox = 0; ox < wo; ox++) {
        f32 *yo = y + ((long)(bi * ho + oy) * wo + ox) * c;
        int j = 0;
        for (; j + 16 <= c; j += 16) dw_gather_block(x, w, yo, j, 4, bi, oy, ox, h, wd, c, k, stride, dil, padTop, padLeft);
        if (j < c) dw_gather_block(x, w, yo, j, (c - j) / 4, bi, oy, ox, h, wd, c, k, stride, dil, padTop, padLeft);
      }
    }
  }
}

EXPORT(dw_conv)
void dw_conv(const f32 *src, const f32 *w, f32 *dst, int b, int h, int wd, int c, int ho, int wo, int k, int stride, int dil, int padTop,
             int padLeft, int transposed, f32 *scratch) {
  if (!transposed) {
    dw_conv_gather(src, w, dst, b, h, wd, c, ho, wo, k, stride, dil, padTop, padLeft);
    return;
  }
  if (stride == 1) {
    /* Stride 1: the input gradient is a forward conv of dy with the filter turned by 180 degrees
     * and the padding mirrored (keff - 1 - pad), in gather form (no read-modify-write of dx). */
    for (int t = 0; t < k * k; t++) {
      const f32 *from = w + (k * k - 1 - t) * c;
      for (int j = 0; j < c; j++) scratch[t * c + j] = from[j];
    }
    const int keff = (k - 1) * dil + 1;
    dw_conv_gather(src, scratch, dst, b, ho, wo, c, h, wd, k, 1, dil, keff - 1 - padTop, keff - 1 - padLeft);
    return;
  }
  zero(dst, (transposed ? b * h * wd : b * ho * wo) * c);
  for (int bi = 0; bi < b; bi++) {
    for (int oy = 0; oy < ho; oy++) {
      for (int ky = 0; ky < k; ky++) {
        const int iy = oy * stride + ky * dil - padTop;
        if (iy < 0 || iy >= h) continue;
        const f32 *orow = (transposed ? src : dst) + ((long)(bi * ho + oy) * wo) * c;
        const f32 *irow = (transposed ? dst : src) + ((long)(bi * h + iy) * wd) * c;
        for (int kx = 0; kx < k; kx++) {
          const int offX = kx * dil - padLeft;
          int oxStart = offX >= 0 ? 0 : (-offX + stride - 1) / stride;
          int oxEnd = wd - 1 - offX < 0 ? 0 : (wd - 1 - offX) / stride + 1;
          if (oxEnd > wo) oxEnd = wo;
          const f32 *wt = w + (ky * k + kx) * c;
          for (int ox = oxStart; ox < oxEnd; ox++) {
            const f32 *o = orow + (long)ox * c;
            const f32 *in = irow + (long)(ox * stride + offX) * c;
            if (transposed) {
              f32 *d = (f32 *)in;
              for (int j = 0; j < c; j += 4) wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_f32x4_mul(wasm_v128_load(o + j), wasm_v128_load(wt + j))));
            } else {
              f32 *d = (f32 *)o;
              for (int j = 0; j < c; j += 4) wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_f32x4_mul(wasm_v128_load(in + j), wasm_v128_load(wt + j))));
            }
          }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------- wide groups (c >= 8, c % 4 == 0) */

/* z[v] = sum_ci a(x[ci]) * w[ci, 4v..4v+3] for nv (1-4) output vectors from vector v0. */
static inline void wide_product(const f32 *xp, const f32 *wg, int c, int v0, int nv, int signInput, v128_t *z0, v128_t *z1, v128_t *z2,
                                v128_t *z3) {
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (int ci = 0; ci < c; ci++) {
    f32 a = xp[ci];
    if (signInput) a = a < 0 ? -1.0f : 1.0f;
    const v128_t av = wasm_f32x4_splat(a);
    const f32 *wr = wg + ci * c + 4 * v0;
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(av, wasm_v128_load(wr)));
    if (nv > 1) s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(av, wasm_v128_load(wr + 4)));
    if (nv > 2) s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(av, wasm_v128_load(wr + 8)));
    if (nv > 3) s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(av, wasm_v128_load(wr + 12)));
  }
  *z0 = s0, *z1 = s1, *z2 = s2, *z3 = s3;
}

/*
 * sign? -> grouped 1x1 with c >= 8 channels a group (c % 4 == 0) -> batch norm, as pw_bn_forward:
 * up to 16 output channels of a group at a time in registers. acc: 2 * total float64.
 */
EXPORT(pw_wide_forward)
void pw_wide_forward(const f32 *x, const f32 *w, f32 *y, f32 *rstd, f64 *acc, int p, int total, int c, int signInput, f32 eps) {
  for (int g0 = 0; g0 < total; g0 += c) {
    const f32 *wg = w + (long)g0 * c;
    for (int v0 = 0; v0 < c / 4; v0 += 4) {
      const int nv = c / 4 - v0 < 4 ? c / 4 - v0 : 4;
      f64 *sum = acc + 2 * (g0 + 4 * v0), *sq = sum + 4 * nv;
      for (int j = 0; j < 8 * nv; j++) sum[j] = 0;
      for (int i0 = 0; i0 < p; i0 += CHUNK) {
        const int i1 = i0 + CHUNK < p ? i0 + CHUNK : p;
        v128_t zero4 = wasm_f32x4_splat(0.0f), a0 = zero4, a1 = zero4, a2 = zero4, a3 = zero4, q0 = zero4, q1 = zero4, q2 = zero4, q3 = zero4;
        for (int i = i0; i < i1; i++) {
          v128_t z0, z1, z2, z3;
          wide_product(x + (long)i * total + g0, wg, c, v0, nv, signInput, &z0, &z1, &z2, &z3);
          f32 *yo = y + (long)i * total + g0 + 4 * v0;
          wasm_v128_store(yo, z0), a0 = wasm_f32x4_add(a0, z0), q0 = wasm_f32x4_add(q0, wasm_f32x4_mul(z0, z0));
          if (nv > 1) wasm_v128_store(yo + 4, z1), a1 = wasm_f32x4_add(a1, z1), q1 = wasm_f32x4_add(q1, wasm_f32x4_mul(z1, z1));
          if (nv > 2) wasm_v128_store(yo + 8, z2), a2 = wasm_f32x4_add(a2, z2), q2 = wasm_f32x4_add(q2, wasm_f32x4_mul(z2, z2));
          if (nv > 3) wasm_v128_store(yo + 12, z3), a3 = wasm_f32x4_add(a3, z3), q3 = wasm_f32x4_add(q3, wasm_f32x4_mul(z3, z3));
        }
        add64(sum, a0), add64(sq, q0);
        if (nv > 1) add64(sum + 4, a1), add64(sq + 4, q1);
        if (nv > 2) add64(sum + 8, a2), add64(sq + 8, q2);
        if (nv > 3) add64(sum + 12, a3), add64(sq + 12, q3);
      }
      f32 *r = rstd + g0 + 4 * v0;
      for (int j = 0; j < 4 * nv; j++) {
        const f64 mean = sum[j] / p;
        f64 var = sq[j] / p - mean * mean;
        if (var < 0) var = 0;
        sum[j] = mean;
        r[j] = (f32)(1.0 / __builtin_sqrt(var + (f64)eps));
      }
      for (int i = 0; i < p; i++) {
        f32 *yo = y + (long)i * total + g0 + 4 * v0;
        for (int j = 0; j < 4 * nv; j++) yo[j] = (yo[j] - (f32)sum[j]) * r[j];
      }
    }
  }
}

/*
 * Backward of pw_wide_forward: dz = rstd * (dy - mean(dy) - y * mean(dy * y)) per pixel into a
 * row of part, then dw[g][ci] += a[ci] * dz and dx[ci] = (w[ci] . dz) * 1[|x| <= 1 if sign].
 * acc: (2c + c*c) float64; part: (3c + c*c) floats.
 */
EXPORT(pw_wide_backward)
void pw_wide_backward(const f32 *dy, const f32 *x, const f32 *w, const f32 *y, const f32 *rstd, f32 *dx, f32 *dw, f64 *acc, f32 *part, int p,
                      int total, int c, int signInput, int want) {
  const int wantDx = want & 1, wantDw = want & 2;
  f64 *sdy = acc, *sdyy = acc + c, *gw = acc + 2 * c;
  f32 *m = part, *n = part + c, *d = part + 2 * c, *gp = part + 3 * c;
  const int cc = c * c;
  for (int g0 = 0; g0 < total; g0 += c) {
    for (int j = 0; j < 2 * c + cc; j++) acc[j] = 0;
    channel_sums(dy + g0, y + g0, 0, sdy, sdyy, gp, gp + c, p, c, total);
    for (int j = 0; j < c; j++) m[j] = (f32)(sdy[j] / p), n[j] = (f32)(sdyy[j] / p);
    const f32 *wg = w + (long)g0 * c;
    const f32 *r = rstd + g0;
    for (int i0 = 0; i0 < p; i0 += CHUNK) {
      const int i1 = i0 + CHUNK < p ? i0 + CHUNK : p;
      zero(gp, cc);
      for (int i = i0; i < i1; i++) {
        const long o = (long)i * total + g0;
        for (int j = 0; j < c; j += 4) {
          const v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dy + o + j), wasm_v128_load(m + j)), wasm_f32x4_mul(wasm_v128_load(y + o + j), wasm_v128_load(n + j)));
          wasm_v128_store(d + j, wasm_f32x4_mul(wasm_v128_load(r + j), t));
        }
        for (int ci = 0; ci < c; ci++) {
          const f32 xv = x[o + ci];
          const v128_t av = wasm_f32x4_splat(signInput ? (xv < 0 ? -1.0f : 1.0f) : xv);
          const f32 *wr = wg + ci * c;
          f32 *gr = gp + ci * c;
          v128_t e = wasm_f32x4_splat(0.0f);
          if (wantDw) {
            for (int j = 0; j < c; j += 4) wasm_v128_store(gr + j, wasm_f32x4_add(wasm_v128_load(gr + j), wasm_f32x4_mul(av, wasm_v128_load(d + j))));
          }
          if (!wantDx) continue;
          for (int j = 0; j < c; j += 4) e = wasm_f32x4_add(e, wasm_f32x4_mul(wasm_v128_load(wr + j), wasm_v128_load(d + j)));
          f32 sum = wasm_f32x4_extract_lane(e, 0) + wasm_f32x4_extract_lane(e, 1) + wasm_f32x4_extract_lane(e, 2) + wasm_f32x4_extract_lane(e, 3);
          if (signInput && !(xv <= 1 && xv >= -1)) sum = 0;
          dx[o + ci] = sum;
        }
      }
      if (wantDw) for (int j = 0; j < cc; j++) gw[j] += gp[j];
    }
    if (wantDw) for (int j = 0; j < cc; j++) dw[(long)g0 * c + j] = (f32)gw[j];
  }
}

/* ---------------------------------------------------------------- fused pre-processing (preprocess-kernels.ts) */

/*
 * ReLU of the picked pixels of x [b, h, w, ci] into hm [b*ho*wo, blocks*ci]: block k of output
 * pixel (bi, i, j) is relu(x[bi, stride*i + k, stride*j + k]), zeros where that is outside the
 * image (the factorized reduce's shifted half). max(v, 0): a NaN stays NaN (the search's NaN-loss
 * check must still see it).
 */
EXPORT(prep_relu_pick)
void prep_relu_pick(const f32 *x, f32 *hm, int b, int h, int w, int ci, int ho, int wo, int stride, int blocks) {
  const v128_t z = wasm_f32x4_splat(0.0f);
  const int c4 = ci - ci % 4;
  f32 *dst = hm;
  for (int bi = 0; bi < b; bi++) {
    for (int i = 0; i < ho; i++) {
      for (int j = 0; j < wo; j++) {
        for (int k = 0; k < blocks; k++, dst += ci) {
          const int y = stride * i + k, xx = stride * j + k;
          if (y >= h || xx >= w) {
            for (int c = 0; c < ci; c++) dst[c] = 0;
            continue;
          }
          const f32 *src = x + (((long)bi * h + y) * w + xx) * ci;
          int c = 0;
          for (; c < c4; c += 4) wasm_v128_store(dst + c, wasm_f32x4_max(wasm_v128_load(src + c), z));
          for (; c < ci; c++) dst[c] = src[c] > 0 ? src[c] : (src[c] == src[c] ? 0 : src[c]);
        }
      }
    }
  }
}

/*
 * dzt[j, i] = dz[i, c0 + j] for the cn channels from c0 of dz [p, c] (one filter's block of the
 * batch-norm gradient, transposed for the filter gradient's plain product): blocks of 4 pixels x
 * 4 channels transposed in registers.
 */
EXPORT(prep_transpose)
void prep_transpose(const f32 *dz, f32 *dzt, int p, int c, int c0, int cn) {
  const int p4 = p - p % 4, n4 = cn - cn % 4;
  for (int i = 0; i < p4; i += 4) {
    const f32 *r = dz + (long)i * c + c0;
    int j = 0;
    for (; j < n4; j += 4) {
      const v128_t a = wasm_v128_load(r + j), bb = wasm_v128_load(r + c + j), cc = wasm_v128_load(r + 2 * c + j), d = wasm_v128_load(r + 3 * c + j);
      const v128_t ab0 = wasm_i32x4_shuffle(a, bb, 0, 4, 1, 5), ab1 = wasm_i32x4_shuffle(a, bb, 2, 6, 3, 7);
      const v128_t cd0 = wasm_i32x4_shuffle(cc, d, 0, 4, 1, 5), cd1 = wasm_i32x4_shuffle(cc, d, 2, 6, 3, 7);
      wasm_v128_store(dzt + (long)j * p + i, wasm_i64x2_shuffle(ab0, cd0, 0, 2));
      wasm_v128_store(dzt + (long)(j + 1) * p + i, wasm_i64x2_shuffle(ab0, cd0, 1, 3));
      wasm_v128_store(dzt + (long)(j + 2) * p + i, wasm_i64x2_shuffle(ab1, cd1, 0, 2));
      wasm_v128_store(dzt + (long)(j + 3) * p + i, wasm_i64x2_shuffle(ab1, cd1, 1, 3));
    }
    for (; j < cn; j++)
      for (int q = 0; q < 4; q++) dzt[(long)j * p + i + q] = r[q * c + j];
  }
  for (int i = p4; i < p; i++)
    for (int j = 0; j < cn; j++) dzt[(long)j * p + i] = dz[(long)i * c + c0 + j];
}

/*
 * Input gradient of prep_relu_pick: dx [b, h, w, ci] = dh where the picked ReLU input was
 * positive (hm > 0), 0 elsewhere and at pixels no block picked.
 */
EXPORT(prep_out_grad)
void prep_out_grad(const f32 *dh, const f32 *hm, f32 *dx, int b, int h, int w, int ci, int ho, int wo, int stride, int blocks) {
  const v128_t z = wasm_f32x4_splat(0.0f);
  const int c4 = ci - ci % 4;
  if (stride == 1) {
    const long n = (long)b * h * w * ci, n4 = n - n % 4;
    long i = 0;
    for (; i < n4; i += 4) {
      const v128_t m = wasm_f32x4_gt(wasm_v128_load(hm + i), z);
      wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dh + i), m));
    }
    for (; i < n; i++) dx[i] = hm[i] > 0 ? dh[i] : 0;
    return;
  }
  const long n = (long)b * h * w * ci;
  for (long i = 0; i < n; i++) dx[i] = 0;
  const f32 *src = dh, *hs = hm;
  for (int bi = 0; bi < b; bi++) {
    for (int i = 0; i < ho; i++) {
      for (int j = 0; j < wo; j++) {
        for (int k = 0; k < blocks; k++, src += ci, hs += ci) {
          const int y = stride * i + k, xx = stride * j + k;
          if (y >= h || xx >= w) continue;
          f32 *dst = dx + (((long)bi * h + y) * w + xx) * ci;
          int c = 0;
          for (; c < c4; c += 4) wasm_v128_store(dst + c, wasm_v128_and(wasm_v128_load(src + c), wasm_f32x4_gt(wasm_v128_load(hs + c), z)));
          for (; c < ci; c++) dst[c] = hs[c] > 0 ? src[c] : 0;
        }
      }
    }
  }
}

/*
 * The reduction bypass's max-pool gradient exactly as the stock route computes it (pool.ts,
 * maxPoolGradRouted: x shifted by s = max(0, 1 - min(x)), then wasm's MaxPoolGrad, which gives
 * each window's dy to the LAST maximum of the shifted values in row-major order), in one pass:
 * the comparisons are made on x + s in float32, so values that the shift rounds to a tie are
 * routed as before, and a search computes the same bits. dx summed where windows overlap.
 */
EXPORT(max_pool_backward_shifted)
void max_pool_backward_shifted(const f32 *dy, const f32 *x, f32 *dx, int b, int h, int w, int c, int ho, int wo, int k, int stride,
                               int padTop, int padLeft) {
  const long n = (long)b * h * w * c;
  f32 m = x[0];
  for (long i = 1; i < n; i++)
    if (x[i] < m) m = x[i];
  f32 s = 1.0f - m;
  if (!(s > 0.0f)) s = 0.0f;
  const v128_t sv = wasm_f32x4_splat(s);
  const int c4 = c - c % 4;
  zero(dx, (int)n);
  for (int bi = 0; bi < b; bi++) {
    for (int oy = 0; oy < ho; oy++) {
      for (int ox = 0; ox < wo; ox++) {
        const Window v = window_of(oy, ox, k, stride, padTop, padLeft, h, w);
        const long o = ((long)(bi * ho + oy) * wo + ox) * c;
        const long row = (long)bi * h;
        int j = 0;
        for (; j < c4; j += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t at = wasm_i32x4_splat(-1);
          for (int iy = v.y0; iy < v.y1; iy++) {
            for (int ix = v.x0; ix < v.x1; ix++) {
              const int off = ((row + iy) * w + ix) * c + j;
              const v128_t in = wasm_f32x4_add(wasm_v128_load(x + off), sv);
              const v128_t ge = wasm_f32x4_ge(in, best);
              best = wasm_v128_bitselect(in, best, ge);
              at = wasm_v128_bitselect(wasm_i32x4_splat(off), at, ge);
            }
          }
          for (int q = 0; q < 4; q++) {
            const int a = q == 0 ? wasm_i32x4_extract_lane(at, 0) : q == 1 ? wasm_i32x4_extract_lane(at, 1) : q == 2 ? wasm_i32x4_extract_lane(at, 2) : wasm_i32x4_extract_lane(at, 3);
            if (a >= 0) dx[a + q] += dy[o + j + q];
          }
        }
        for (; j < c; j++) {
          f32 best = -__builtin_inff();
          int at = -1;
          for (int iy = v.y0; iy < v.y1; iy++) {
            for (int ix = v.x0; ix < v.x1; ix++) {
              const int off = ((row + iy) * w + ix) * c + j;
              const f32 in = x[off] + s;
              if (in >= best) best = in, at = off;
            }
          }
          if (at >= 0) dx[at] += dy[o + j];
        }
      }
    }
  }
}
