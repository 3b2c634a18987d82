//! Small f64 3-D vectors and rotations (no engine dependency, deterministic).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct V3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

pub const fn v3(x: f64, y: f64, z: f64) -> V3 {
    V3 { x, y, z }
}

impl V3 {
    pub fn dot(self, o: V3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    pub fn cross(self, o: V3) -> V3 {
        v3(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }
    pub fn length(self) -> f64 {
        libm::sqrt(self.dot(self))
    }
    pub fn lerp(self, o: V3, t: f64) -> V3 {
        self + (o - self) * t
    }
}

impl std::ops::Add for V3 {
    type Output = V3;
    fn add(self, o: V3) -> V3 {
        v3(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}
impl std::ops::Sub for V3 {
    type Output = V3;
    fn sub(self, o: V3) -> V3 {
        v3(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}
impl std::ops::Mul<f64> for V3 {
    type Output = V3;
    fn mul(self, k: f64) -> V3 {
        v3(self.x * k, self.y * k, self.z * k)
    }
}

/// A 3x3 rotation, row-major.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct M3 {
    pub rows: [[f64; 3]; 3],
}

impl M3 {
    pub const IDENTITY: M3 = M3 {
        rows: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };

    /// The matrix whose columns are `a`, `b`, `c`.
    pub fn from_cols(a: V3, b: V3, c: V3) -> M3 {
        M3 {
            rows: [[a.x, b.x, c.x], [a.y, b.y, c.y], [a.z, b.z, c.z]],
        }
    }
    pub fn rot_x(a: f64) -> M3 {
        let (s, c) = (libm::sin(a), libm::cos(a));
        M3 {
            rows: [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]],
        }
    }
    pub fn rot_y(a: f64) -> M3 {
        let (s, c) = (libm::sin(a), libm::cos(a));
        M3 {
            rows: [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]],
        }
    }
    pub fn rot_z(a: f64) -> M3 {
        let (s, c) = (libm::sin(a), libm::cos(a));
        M3 {
            rows: [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]],
        }
    }
    pub fn mul_v(&self, v: V3) -> V3 {
        let r = &self.rows;
        v3(
            r[0][0] * v.x + r[0][1] * v.y + r[0][2] * v.z,
            r[1][0] * v.x + r[1][1] * v.y + r[1][2] * v.z,
            r[2][0] * v.x + r[2][1] * v.y + r[2][2] * v.z,
        )
    }
    pub fn mul(&self, o: &M3) -> M3 {
        let mut rows = [[0.0; 3]; 3];
        for (i, row) in rows.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (0..3).map(|k| self.rows[i][k] * o.rows[k][j]).sum();
            }
        }
        M3 { rows }
    }
    pub fn transpose(&self) -> M3 {
        let r = &self.rows;
        M3 {
            rows: [
                [r[0][0], r[1][0], r[2][0]],
                [r[0][1], r[1][1], r[2][1]],
                [r[0][2], r[1][2], r[2][2]],
            ],
        }
    }
}

/// A rigid transform: `p_parent = rotation * p_child + translation`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iso3 {
    pub rotation: M3,
    pub translation: V3,
}

impl Iso3 {
    pub fn apply(&self, p: V3) -> V3 {
        self.rotation.mul_v(p) + self.translation
    }
    pub fn inverse(&self) -> Iso3 {
        let rt = self.rotation.transpose();
        Iso3 {
            rotation: rt,
            translation: rt.mul_v(self.translation) * -1.0,
        }
    }
    pub fn then(&self, child: &Iso3) -> Iso3 {
        Iso3 {
            rotation: self.rotation.mul(&child.rotation),
            translation: self.apply(child.translation),
        }
    }
    /// From a 3x4 row-major [R | t].
    pub fn from_matrix3x4(m: &[[f64; 4]; 3]) -> Iso3 {
        Iso3 {
            rotation: M3 {
                rows: [
                    [m[0][0], m[0][1], m[0][2]],
                    [m[1][0], m[1][1], m[1][2]],
                    [m[2][0], m[2][1], m[2][2]],
                ],
            },
            translation: v3(m[0][3], m[1][3], m[2][3]),
        }
    }

    /// 3x4 row-major [R | t].
    pub fn matrix3x4(&self) -> [[f64; 4]; 3] {
        let r = &self.rotation.rows;
        let t = self.translation;
        [
            [r[0][0], r[0][1], r[0][2], t.x],
            [r[1][0], r[1][1], r[1][2], t.y],
            [r[2][0], r[2][1], r[2][2], t.z],
        ]
    }
}
