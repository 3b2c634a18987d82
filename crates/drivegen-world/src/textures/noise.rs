//! Tileable noise and a small layered canvas the texture generators paint on.
//!
//! Everything here is integer hashing and IEEE f32 arithmetic (no transcendental
//! functions), so a seed gives the same texels on every run. Noise lattices wrap at an
//! integer period per axis, which is what makes every texture tile without a seam.

/// SplitMix64 finaliser: a fixed, portable 64-bit mixer.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from a hash.
pub fn unit(h: u64) -> f32 {
    (h >> 40) as f32 / (1u64 << 24) as f32
}

fn lattice(seed: u64, x: i64, y: i64) -> f32 {
    unit(mix(seed
        ^ mix(
            (x as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (y as u64)
        )))
}

/// A per-texel (white) noise value in [0, 1).
pub fn white(seed: u64, x: usize, y: usize) -> f32 {
    lattice(seed, x as i64, y as i64)
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// Value noise in [0, 1) at tile coordinates (u, v) in [0, 1), with a lattice of
/// `px` x `py` cells that wraps, so the result tiles.
pub fn value(seed: u64, u: f32, v: f32, px: u32, py: u32) -> f32 {
    let x = u * px as f32;
    let y = v * py as f32;
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (smooth(x - x0), smooth(y - y0));
    let (px, py) = (i64::from(px.max(1)), i64::from(py.max(1)));
    let ix = (x0 as i64).rem_euclid(px);
    let iy = (y0 as i64).rem_euclid(py);
    let (ix1, iy1) = ((ix + 1) % px, (iy + 1) % py);
    let a = lattice(seed, ix, iy);
    let b = lattice(seed, ix1, iy);
    let c = lattice(seed, ix, iy1);
    let d = lattice(seed, ix1, iy1);
    let top = a + (b - a) * fx;
    let bottom = c + (d - c) * fx;
    top + (bottom - top) * fy
}

/// Fractal sum of `octaves` value-noise layers, each twice the frequency and `gain` times
/// the amplitude of the last; normalised to [0, 1).
pub fn fbm(seed: u64, u: f32, v: f32, px: u32, py: u32, octaves: u32, gain: f32) -> f32 {
    let (mut sum, mut norm, mut amp) = (0.0, 0.0, 1.0);
    for k in 0..octaves {
        let s = mix(seed.wrapping_add(u64::from(k)));
        sum += amp * value(s, u, v, px << k, py << k);
        norm += amp;
        amp *= gain;
    }
    sum / norm
}

/// A seeded generator for discrete choices (patch places, crack walks).
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(mix(seed))
    }

    pub fn unit(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        unit(mix(self.0))
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
}

/// What a generator paints per texel: sRGB colour, perceptual roughness, metalness, and
/// a height used for the normal map. Coordinates wrap, so strokes cross the tile edge.
#[derive(Clone, Debug)]
pub struct Canvas {
    pub size: usize,
    pub color: Vec<[f32; 3]>,
    pub rough: Vec<f32>,
    pub metal: Vec<f32>,
    pub height: Vec<f32>,
}

impl Canvas {
    pub fn new(size: usize, color: [f32; 3], rough: f32) -> Canvas {
        let n = size * size;
        Canvas {
            size,
            color: vec![color; n],
            rough: vec![rough; n],
            metal: vec![0.0; n],
            height: vec![0.0; n],
        }
    }

    /// The index of texel (x, y), wrapping both axes.
    pub fn at(&self, x: i64, y: i64) -> usize {
        let s = self.size as i64;
        (y.rem_euclid(s) * s + x.rem_euclid(s)) as usize
    }

    /// Calls `f(index, u, v)` for every texel, (u, v) its centre in tile coordinates.
    pub fn each(&mut self, mut f: impl FnMut(&mut Canvas, usize, f32, f32)) {
        let s = self.size;
        for y in 0..s {
            for x in 0..s {
                let u = (x as f32 + 0.5) / s as f32;
                let v = (y as f32 + 0.5) / s as f32;
                f(self, y * s + x, u, v);
            }
        }
    }

    /// Multiplies the colour of texel `i` by `k`.
    pub fn shade(&mut self, i: usize, k: f32) {
        for c in &mut self.color[i] {
            *c *= k;
        }
    }

    /// Blends texel `i` towards `c` by `t` in [0, 1].
    pub fn blend(&mut self, i: usize, c: [f32; 3], t: f32) {
        let t = t.clamp(0.0, 1.0);
        for (o, n) in self.color[i].iter_mut().zip(c) {
            *o += (n - *o) * t;
        }
    }
}
