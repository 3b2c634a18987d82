//! LiDAR returns and their on-disk encoding.

/// One return, in the sensor frame (x forward, y left, z up), metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LidarPoint {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    /// 0..1: reflectance of the hit class times the cosine of the incidence angle.
    pub intensity: f32,
    /// Instance id of what was hit (as in the instance images).
    pub instance: u16,
    /// Cityscapes labelId of what was hit.
    pub class: u8,
}

/// Bytes per record in `lidar/*.bin`.
pub const LIDAR_RECORD: usize = 20;

/// Little-endian records: x, y, z, intensity (f32), instance (u16), class (u8), padding (u8).
pub fn encode(points: &[LidarPoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * LIDAR_RECORD);
    for p in points {
        for v in [p.x, p.y, p.z, p.intensity] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&p.instance.to_le_bytes());
        out.push(p.class);
        out.push(0);
    }
    out
}

/// Inverse of [`encode`]; trailing partial records are ignored.
pub fn decode(bytes: &[u8]) -> Vec<LidarPoint> {
    bytes
        .chunks_exact(LIDAR_RECORD)
        .map(|r| {
            let f = |i: usize| f32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            LidarPoint {
                x: f(0),
                y: f(4),
                z: f(8),
                intensity: f(12),
                instance: u16::from_le_bytes([r[16], r[17]]),
                class: r[18],
            }
        })
        .collect()
}
