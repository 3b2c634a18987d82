//! The classifier of the realism test: a class-balanced, L2-regularised logistic
//! regression fitted by Newton's method (deterministic, no learning rate to tune).

use super::FEATURES;

/// Fits an L2-regularised logistic regression by Newton's method; class-balanced (each
/// class weighs half). Rows must be standardised. Returns (weights, bias).
#[allow(clippy::needless_range_loop)] // index loops read as the matrix algebra they are
pub(super) fn fit_logistic(x: &[&[f64; FEATURES]], y: &[bool], l2: f64) -> ([f64; FEATURES], f64) {
    const D: usize = FEATURES + 1;
    let positives = y.iter().filter(|v| **v).count().max(1) as f64;
    let negatives = (y.len() as f64 - positives).max(1.0);
    let sample_weight = |label: bool| {
        if label {
            0.5 / positives
        } else {
            0.5 / negatives
        }
    };
    let mut beta = [0.0f64; D];
    for _ in 0..50 {
        let mut grad = [0.0f64; D];
        let mut hess = vec![[0.0f64; D]; D];
        for (row, label) in x.iter().zip(y) {
            let mut z = beta[FEATURES];
            for j in 0..FEATURES {
                z += beta[j] * row[j];
            }
            let p = 1.0 / (1.0 + (-z).exp());
            let w = sample_weight(*label);
            let r = w * (p - if *label { 1.0 } else { 0.0 });
            let h = w * p * (1.0 - p);
            let xi = |j: usize| if j == FEATURES { 1.0 } else { row[j] };
            for a in 0..D {
                grad[a] += r * xi(a);
                for b in 0..=a {
                    hess[a][b] += h * xi(a) * xi(b);
                }
            }
        }
        for a in 0..D {
            for b in 0..a {
                hess[b][a] = hess[a][b];
            }
            let penalty = if a == FEATURES { 1e-9 } else { l2 };
            grad[a] += penalty * beta[a];
            hess[a][a] += penalty;
        }
        let step = solve(hess, grad);
        let mut change = 0.0f64;
        for a in 0..D {
            beta[a] -= step[a];
            change = change.max(step[a].abs());
        }
        if change < 1e-9 {
            break;
        }
    }
    let mut w = [0.0; FEATURES];
    w.copy_from_slice(&beta[..FEATURES]);
    (w, beta[FEATURES])
}

/// Solves `a x = b` for a symmetric positive-definite `a` (Gaussian elimination with
/// partial pivoting, for robustness).
#[allow(clippy::needless_range_loop)] // index loops read as the matrix algebra they are
fn solve<const D: usize>(mut a: Vec<[f64; D]>, mut b: [f64; D]) -> [f64; D] {
    for col in 0..D {
        let pivot = (col..D)
            .max_by(|i, j| a[*i][col].abs().total_cmp(&a[*j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let d = a[col][col];
        if d.abs() < 1e-300 {
            continue;
        }
        for row in col + 1..D {
            let factor = a[row][col] / d;
            if factor != 0.0 {
                for k in col..D {
                    a[row][k] -= factor * a[col][k];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = [0.0f64; D];
    for row in (0..D).rev() {
        let mut s = b[row];
        for k in row + 1..D {
            s -= a[row][k] * x[k];
        }
        x[row] = if a[row][row].abs() < 1e-300 {
            0.0
        } else {
            s / a[row][row]
        };
    }
    x
}
