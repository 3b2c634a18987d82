//! The Sobol sequence for `Sobol(...)` coverage designs: Joe and Kuo's direction
//! numbers for the first [`MAX_AXES`] dimensions, written out (no crate for it is
//! available offline, and eight dimensions need only seven polynomials).

use super::MAX_AXES;

/// Joe and Kuo's primitive polynomials and initial direction numbers (new-joe-kuo-6.21201)
/// for dimensions 2..=8: (degree s, coefficients a, m_1..m_s). Dimension 1 is van der
/// Corput's sequence.
const JOE_KUO: [(usize, u32, &[u32]); MAX_AXES - 1] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
];

/// The 32 direction numbers of dimension `dim` (0-based), scaled to 32 bits.
fn directions(dim: usize) -> [u32; 32] {
    let mut v = [0u32; 32];
    let Some(&(s, a, m)) = dim.checked_sub(1).and_then(|d| JOE_KUO.get(d)) else {
        for (k, slot) in v.iter_mut().enumerate() {
            *slot = 1 << (31 - k);
        }
        return v;
    };
    for k in 0..s {
        v[k] = m[k] << (31 - k);
    }
    for k in s..32 {
        let mut x = v[k - s] ^ (v[k - s] >> s);
        for j in 1..s {
            if (a >> (s - 1 - j)) & 1 == 1 {
                x ^= v[k - j];
            }
        }
        v[k] = x;
    }
    v
}

/// Coordinate `dim` (0-based, below [`MAX_AXES`]) of point `index` of the plain Sobol
/// sequence, in [0, 1). Point 0 is the origin.
pub fn sobol(index: u32, dim: usize) -> f64 {
    let v = directions(dim);
    let x = (0..32)
        .filter(|k| (index >> k) & 1 == 1)
        .fold(0u32, |x, k| x ^ v[k]);
    f64::from(x) / 4_294_967_296.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sobol_points_stratify_every_axis() {
        for dim in 0..MAX_AXES {
            for k in [1u32, 3, 5] {
                let n = 1u32 << k;
                let mut slots: Vec<u32> = (0..n)
                    .map(|i| (sobol(i, dim) * f64::from(n)) as u32)
                    .collect();
                slots.sort_unstable();
                assert_eq!(slots, (0..n).collect::<Vec<_>>(), "dim {dim}, {n} points");
            }
        }
        // The first two dimensions form a (0, 2)-sequence: 16 points, one per 4x4 cell.
        let mut cells: Vec<(u32, u32)> = (0..16)
            .map(|i| ((sobol(i, 0) * 4.0) as u32, (sobol(i, 1) * 4.0) as u32))
            .collect();
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), 16);
        assert_eq!((sobol(1, 1), sobol(2, 1), sobol(3, 1)), (0.5, 0.75, 0.25));
    }
}
