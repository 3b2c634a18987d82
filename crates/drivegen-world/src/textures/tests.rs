//! Texture generation: determinism, seamless tiling, value ranges and mip chains.

use super::*;

fn luma(t: &[u8; 4]) -> f32 {
    (f32::from(t[0]) + f32::from(t[1]) + f32::from(t[2])) / 3.0
}

/// Mean absolute luma step between adjacent columns (or rows) of texels: (the largest
/// over the boundaries inside the tile, the one across the wrap-around edge). A seam is
/// a step at the edge larger than any inside, where structure (joints, mortar) counts.
fn steps(t: &Texture, vertical: bool) -> (f32, f32) {
    let s = t.size as usize;
    let at = |a: usize, b: usize| {
        if vertical {
            &t.texels[a * s + b]
        } else {
            &t.texels[b * s + a]
        }
    };
    let step = |a0: usize, a1: usize| {
        (0..s)
            .map(|b| (luma(at(a0, b)) - luma(at(a1, b))).abs())
            .sum::<f32>()
            / s as f32
    };
    let inner = (0..s - 1).map(|a| step(a, a + 1)).fold(0.0, f32::max);
    (inner, step(s - 1, 0))
}

#[test]
fn the_same_seed_gives_the_same_texels_and_another_seed_others() {
    let a = TextureSet::generate(42);
    let b = TextureSet::generate(42);
    let c = TextureSet::generate(43);
    for ((x, y), z) in a.all().iter().zip(b.all()).zip(c.all()) {
        assert_eq!(x.base, y.base);
        assert_eq!(x.roughness, y.roughness);
        assert_eq!(x.normal, y.normal);
        assert_ne!(x.base, z.base);
    }
}

#[test]
fn every_map_tiles_without_a_seam() {
    let set = TextureSet::generate(7);
    for (k, maps) in set.all().iter().enumerate() {
        // The window is stretched over each quad, never tiled.
        if k == 8 {
            continue;
        }
        for vertical in [false, true] {
            let (inner, edge) = steps(&maps.base, vertical);
            assert!(
                edge <= 1.2 * inner + 1.0,
                "map {k} ({}): step across the tile edge {edge:.2} vs at most {inner:.2} inside",
                if vertical { "v" } else { "u" }
            );
        }
    }
}

#[test]
fn colours_and_roughness_stay_in_plausible_ranges() {
    let set = TextureSet::generate(3);
    let mean = |t: &Texture| t.texels.iter().map(luma).sum::<f32>() / t.texels.len() as f32;
    // Weathered asphalt is a mid-dark grey (sRGB ~0.28-0.4, albedo about 0.07-0.13),
    // grass darker than concrete kerbs.
    let asphalt = mean(&set.asphalt.base);
    assert!((70.0..105.0).contains(&asphalt), "asphalt mean {asphalt}");
    assert!(mean(&set.grass.base) < mean(&set.kerb.base));
    assert!(mean(&set.sidewalk.base) < mean(&set.kerb.base));
    // No texel clips to black or white over large areas: colour spread stays inside.
    // Paint is a multiplier of the line colour, mostly 1 by design.
    for (k, maps) in set.all().iter().enumerate().filter(|(k, _)| *k != 4) {
        let clipped = maps
            .base
            .texels
            .iter()
            .filter(|t| t[..3].iter().all(|c| *c == 255))
            .count();
        assert!(
            clipped * 100 < maps.base.texels.len(),
            "map {k}: too many white texels"
        );
        for t in &maps.roughness.texels {
            assert!(t[1] >= 10, "roughness {} too glossy", t[1]);
        }
    }
    // Asphalt has wheel tracks: the band a quarter of a lane in is darker than the
    // band halfway between the track and the lane centre (the tile is two lanes).
    let s = set.asphalt.base.size as usize;
    let row_mean = |r: usize| {
        (0..s)
            .map(|x| luma(&set.asphalt.base.texels[r * s + x]))
            .sum::<f32>()
            / s as f32
    };
    assert!(row_mean(s / 8) < row_mean(3 * s / 16) - 2.0);
}

#[test]
fn normal_maps_are_unit_length_and_mostly_up() {
    let set = TextureSet::generate(11);
    let n = set
        .asphalt
        .normal
        .as_ref()
        .expect("asphalt has a normal map");
    let mut up = 0.0;
    for t in &n.texels {
        let v = t[..3]
            .iter()
            .map(|c| f32::from(*c) / 127.5 - 1.0)
            .collect::<Vec<_>>();
        let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        assert!((len - 1.0).abs() < 0.03, "normal length {len}");
        up += v[2];
    }
    let up = up / n.texels.len() as f32;
    assert!(up > 0.85, "mean up component {up}");
}

#[test]
fn mip_chains_go_down_to_one_texel() {
    let set = TextureSet::generate(1);
    let t = &set.kerb.base;
    let (levels, data) = t.mip_chain();
    assert_eq!(levels, t.size.ilog2() + 1);
    let texels: u32 = (0..levels).map(|l| (t.size >> l).pow(2)).sum();
    assert_eq!(data.len(), texels as usize * 4);
    // The last level is the average colour.
    let avg = t.texels.iter().map(|p| f32::from(p[0])).sum::<f32>() / t.texels.len() as f32;
    assert!((f32::from(data[data.len() - 4]) - avg).abs() < 2.0);
}

#[test]
fn facade_styles_cover_the_planner_colours() {
    assert_eq!(facade_style([120, 72, 60]), FacadeStyle::Brick);
    let styles: Vec<FacadeStyle> = [
        [168, 150, 130],
        [190, 178, 160],
        [150, 155, 160],
        [200, 190, 170],
        [175, 165, 140],
        [95, 100, 110],
    ]
    .iter()
    .map(|c| facade_style(*c))
    .collect();
    assert!(styles.contains(&FacadeStyle::Plaster));
    assert!(styles.contains(&FacadeStyle::Concrete));
}

#[test]
fn crowns_have_dark_gaps_between_clumps_and_bark_runs_along_the_trunk() {
    let set = TextureSet::generate(5);
    let mut l: Vec<f32> = set.foliage.base.texels.iter().map(luma).collect();
    l.sort_by(f32::total_cmp);
    let (p10, p50) = (l[l.len() / 10], l[l.len() / 2]);
    assert!(
        p10 < 0.75 * p50,
        "foliage p10 {p10} vs median {p50}: no gaps"
    );
    assert!(set.foliage.normal.is_some() && set.bark.normal.is_some());
    // Furrows run along v: neighbouring columns differ more than neighbouring rows.
    let (across, _) = steps(&set.bark.base, false);
    let (along, _) = steps(&set.bark.base, true);
    assert!(
        across > 1.5 * along,
        "bark steps across {across}, along {along}"
    );
}

#[test]
fn puddles_are_dark_smooth_and_flat_and_cover_part_of_a_wet_road() {
    let set = TextureSet::generate(7);
    let dry = &set.asphalt;
    let (wet, cover) = ground::puddled(dry, 99);
    eprintln!("puddles cover {:.1} % of the asphalt", cover * 100.0);
    assert!(
        (0.04..0.25).contains(&cover),
        "puddles cover {cover:.3} of the road"
    );
    assert_eq!(ground::puddled(dry, 99).0.base, wet.base, "deterministic");
    assert_eq!(
        set.wet_asphalt().base,
        ground::puddled(dry, set.puddle_seed).0.base
    );
    let n = dry.base.texels.len();
    let (dry_n, wet_n) = (
        dry.normal.as_ref().expect("relief"),
        wet.normal.as_ref().expect("relief"),
    );
    let (mut changed, mut mirror) = (0usize, 0usize);
    for i in 0..n {
        let (d, w) = (&dry.base.texels[i], &wet.base.texels[i]);
        let (dr, wr) = (dry.roughness.texels[i][1], wet.roughness.texels[i][1]);
        if d == w && dr == wr {
            continue;
        }
        changed += 1;
        assert!(
            luma(w) <= luma(d) && wr <= dr,
            "texel {i}: darker and smoother under water"
        );
        assert!(
            wet_n.texels[i][2] >= dry_n.texels[i][2],
            "texel {i}: flatter under water"
        );
        if f32::from(wr) <= ground::WATER_ROUGHNESS * 255.0 + 1.0 {
            mirror += 1;
        }
    }
    assert!(
        changed as f32 >= cover * n as f32 && mirror > n / 50,
        "{changed} changed, {mirror} as smooth as water of {n}"
    );
}
