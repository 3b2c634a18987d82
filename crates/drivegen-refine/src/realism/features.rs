//! The low-level statistics the realism test describes a patch by, their names, and the
//! groups `drivegen realism` reports separately (what gives a set of frames away).

/// Number of low-level statistics per patch.
pub const FEATURES: usize = 26;

/// Edges of the gradient-magnitude histogram (luma per pixel, 0..1 scale).
pub const GRADIENT_BIN_EDGES: [f64; 5] = [0.005, 0.01, 0.02, 0.04, 0.08];

/// Name of each statistic, in the order [`patch_features`] returns them.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "luma mean",
    "luma spread",
    "red-green mean",
    "red-green spread",
    "yellow-blue mean",
    "yellow-blue spread",
    "saturation mean",
    "saturation spread",
    "luma 10th percentile",
    "luma median",
    "luma 90th percentile",
    "gradient magnitude",
    "gradient share < 0.005",
    "gradient share 0.005-0.01",
    "gradient share 0.01-0.02",
    "gradient share 0.02-0.04",
    "gradient share 0.04-0.08",
    "gradient share >= 0.08",
    "luma Laplacian",
    "red-green Laplacian",
    "yellow-blue Laplacian",
    "noise estimate",
    "Laplacian / gradient",
    "8x8 cell mean spread",
    "8x8 cell inner spread",
    "horizontal gradient share",
];

/// A named group of statistics: one aspect of how an image looks.
#[derive(Debug)]
pub struct FeatureGroup {
    pub name: &'static str,
    /// Indices into the feature vector.
    pub features: &'static [usize],
}

/// The groups, covering every statistic once. Tone: brightness and contrast; colour:
/// hue, tint and saturation; fine detail: edges, sharpness, high-frequency chroma and
/// sensor noise; structure: contrast between and within 8x8 cells and edge orientation.
pub const FEATURE_GROUPS: [FeatureGroup; 4] = [
    FeatureGroup {
        name: "tone",
        features: &[0, 1, 8, 9, 10],
    },
    FeatureGroup {
        name: "colour",
        features: &[2, 3, 4, 5, 6, 7],
    },
    FeatureGroup {
        name: "fine detail and noise",
        features: &[11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22],
    },
    FeatureGroup {
        name: "structure",
        features: &[23, 24, 25],
    },
];

/// The statistics of one patch: `rgb` interleaved u8, `s` x `s`.
pub fn patch_features(rgb: &[u8], s: usize) -> [f64; FEATURES] {
    let n = s * s;
    let mut l = vec![0.0f64; n];
    let mut c1 = vec![0.0f64; n];
    let mut c2 = vec![0.0f64; n];
    let mut sat = vec![0.0f64; n];
    for (i, p) in rgb.chunks_exact(3).take(n).enumerate() {
        let [r, g, b] = [p[0], p[1], p[2]].map(|v| f64::from(v) / 255.0);
        l[i] = (r + g + b) / 3.0;
        c1[i] = r - g;
        c2[i] = 0.5 * (r + g) - b;
        let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
        sat[i] = if mx > 1e-6 { (mx - mn) / mx } else { 0.0 };
    }
    let mean_std = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64;
        (m, var.sqrt())
    };
    let mut f = [0.0f64; FEATURES];
    let mut k = 0;
    let mut push = |v: f64| {
        f[k] = v;
        k += 1;
    };
    for v in [&l, &c1, &c2, &sat] {
        let (m, sd) = mean_std(v);
        push(m);
        push(sd);
    }
    let mut sorted = l.clone();
    sorted.sort_by(f64::total_cmp);
    for q in [0.1, 0.5, 0.9] {
        push(sorted[((n - 1) as f64 * q) as usize]);
    }
    // Gradients (central differences), Laplacians and Immerkaer's noise estimate over the
    // interior pixels.
    let at = |v: &[f64], x: usize, y: usize| v[y * s + x];
    let (mut grad_sum, mut gx2, mut gy2) = (0.0, 0.0, 0.0);
    let mut hist = [0.0f64; 6];
    let (mut lap_l, mut lap_c1, mut lap_c2, mut noise) = (0.0, 0.0, 0.0, 0.0);
    let mut count = 0.0;
    for y in 1..s - 1 {
        for x in 1..s - 1 {
            let gx = 0.5 * (at(&l, x + 1, y) - at(&l, x - 1, y));
            let gy = 0.5 * (at(&l, x, y + 1) - at(&l, x, y - 1));
            let g = (gx * gx + gy * gy).sqrt();
            grad_sum += g;
            gx2 += gx * gx;
            gy2 += gy * gy;
            hist[GRADIENT_BIN_EDGES.iter().filter(|e| g >= **e).count()] += 1.0;
            let lap = |v: &[f64]| {
                (at(v, x + 1, y) + at(v, x - 1, y) + at(v, x, y + 1) + at(v, x, y - 1)
                    - 4.0 * at(v, x, y))
                .abs()
            };
            lap_l += lap(&l);
            lap_c1 += lap(&c1);
            lap_c2 += lap(&c2);
            // Immerkaer's mask [1 -2 1; -2 4 -2; 1 -2 1] cancels edges and ramps.
            let m = at(&l, x - 1, y - 1)
                + at(&l, x + 1, y - 1)
                + at(&l, x - 1, y + 1)
                + at(&l, x + 1, y + 1)
                - 2.0 * (at(&l, x, y - 1) + at(&l, x, y + 1) + at(&l, x - 1, y) + at(&l, x + 1, y))
                + 4.0 * at(&l, x, y);
            noise += m.abs();
            count += 1.0;
        }
    }
    let log = |v: f64| (v + 1e-4).ln();
    let grad_mean = grad_sum / count;
    push(log(grad_mean));
    for h in hist {
        push(h / count);
    }
    push(log(lap_l / count));
    push(log(lap_c1 / count));
    push(log(lap_c2 / count));
    push(log(
        noise / count * (std::f64::consts::FRAC_PI_2).sqrt() / 6.0
    ));
    push((lap_l / count) / (grad_mean + 1e-3));
    // Local contrast on 8x8 cells: spread of the cell means, and mean spread inside cells.
    let cell = 8.min(s);
    let (mut means, mut inner) = (Vec::new(), 0.0);
    for cy in (0..s - cell + 1).step_by(cell) {
        for cx in (0..s - cell + 1).step_by(cell) {
            let v: Vec<f64> = (0..cell * cell)
                .map(|i| at(&l, cx + i % cell, cy + i / cell))
                .collect();
            let (m, sd) = mean_std(&v);
            means.push(m);
            inner += sd;
        }
    }
    push(mean_std(&means).1);
    push(inner / means.len() as f64);
    // Orientation balance: share of horizontal-gradient energy.
    push(gx2 / (gx2 + gy2 + 1e-9));
    assert_eq!(k, FEATURES, "every statistic is pushed once");
    f
}
