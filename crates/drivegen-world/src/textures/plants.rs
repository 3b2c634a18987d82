//! Plant textures: leaf clumps for tree crowns and furrowed bark for trunks and branches.
//!
//! Both are multipliers (the surface's own colour tints them), so one map
//! serves every tree colour; their relief goes into normal maps, which is what turns a
//! smooth crown into a bumpy mass of leaves under the sun.

use super::noise::{Canvas, fbm, white};
use super::{Maps, finish};

/// The maps' typical values: a surface colour divided by these is the tint that keeps
/// the surface's mean colour (headroom above, so sunlit leaves do not clip).
pub const FOLIAGE_MEAN: f32 = 0.75;
pub const BARK_MEAN: f32 = 0.75;

/// Leaf clumps about 0.3 m across with darker gaps between them, single leaves inside,
/// some clumps lighter and yellower (sunlit outer leaves), on a 2 m tile.
pub fn foliage(seed: u64) -> Maps {
    let size = 256;
    let tile = [2.0, 2.0];
    let mut c = Canvas::new(size, [FOLIAGE_MEAN; 3], 0.8);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let clumps = fbm(seed, u, v, 7, 7, 3, 0.5);
        let leaves = fbm(seed ^ 1, u, v, 40, 40, 2, 0.5);
        let speck = white(seed ^ 2, x, y) - 0.5;
        // Gaps open where the clump field is low: deep shade between clumps.
        let gap = ((0.42 - clumps) * 6.0).clamp(0.0, 1.0);
        let sunlit = ((clumps - 0.6) * 5.0).clamp(0.0, 1.0);
        let k = (1.0 - 0.6 * gap) * (0.85 + 0.3 * leaves + 0.12 * speck) * (1.0 + 0.18 * sunlit);
        c.shade(i, k);
        // Sunlit leaf tips turn yellow-green, the shade blue-green.
        c.color[i][0] *= 1.0 + 0.12 * sunlit - 0.05 * gap;
        c.color[i][2] *= 1.0 - 0.15 * sunlit + 0.08 * gap;
        c.rough[i] = 0.75 + 0.15 * gap;
        c.height[i] = 1.2 * clumps + 0.35 * leaves;
    });
    finish(&c, tile, 2.5)
}

/// Bark: ridges running along the trunk (the texture's v) split by dark furrows, with
/// lichen-grey patches, on a tile 0.5 m around by 1 m along.
pub fn bark(seed: u64) -> Maps {
    let size = 128;
    let tile = [0.5, 1.0];
    let mut c = Canvas::new(size, [BARK_MEAN; 3], 0.95);
    c.each(|c, i, u, v| {
        // Ridges: noise fast around the trunk, slow along it.
        let ridge = fbm(seed, u, v, 12, 3, 3, 0.5);
        let furrow = ((0.45 - ridge) * 5.0).clamp(0.0, 1.0);
        let lichen = ((fbm(seed ^ 1, u, v, 4, 4, 2, 0.5) - 0.62) * 6.0).clamp(0.0, 1.0);
        c.shade(i, (1.0 - 0.55 * furrow) * (0.9 + 0.2 * ridge));
        // Lichen greys the bark: as a multiplier of brown, blue and green rise most.
        let grey = 0.35 * lichen * (1.0 - furrow);
        for (channel, lift) in c.color[i].iter_mut().zip([0.4, 0.6, 0.9]) {
            *channel *= 1.0 + grey * lift;
        }
        c.height[i] = ridge;
    });
    finish(&c, tile, 3.0)
}
