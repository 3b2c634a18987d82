//! People: walking pedestrians (torso, head with hair, swinging arms and legs) and the
//! riders of two-wheelers, with build, skin, hair and clothing drawn per person.

use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_plan::Size3;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Limb, LimbModel, pick};
use crate::mesh::{Part, PartsBuilder, Surface};

const SKIN: [[u8; 3]; 5] = [
    [232, 196, 170],
    [205, 152, 118],
    [168, 116, 84],
    [112, 74, 52],
    [236, 204, 180],
];
const HAIR: [[u8; 3]; 6] = [
    [24, 20, 18],
    [58, 40, 28],
    [105, 76, 48],
    [172, 142, 92],
    [140, 138, 134],
    [84, 34, 22],
];
const TROUSERS: [[u8; 3]; 6] = [
    [34, 36, 46],
    [42, 54, 84],
    [72, 72, 76],
    [92, 82, 62],
    [24, 24, 26],
    [124, 112, 96],
];
const SHOES: [[u8; 3]; 3] = [[20, 20, 22], [225, 225, 222], [74, 52, 40]];

fn identity() -> Iso3 {
    Iso3 {
        rotation: M3::IDENTITY,
        translation: v3(0.0, 0.0, 0.0),
    }
}

/// What a person looks like, drawn once per person.
struct Looks {
    skin: [u8; 3],
    hair: [u8; 3],
    long_hair: bool,
    trousers: [u8; 3],
    shoes: [u8; 3],
    long_sleeves: bool,
    build: f64,
}

impl Looks {
    fn draw(rng: &mut ChaCha8Rng) -> Looks {
        Looks {
            skin: pick(rng, &SKIN),
            hair: pick(rng, &HAIR),
            long_hair: rng.random_bool(0.35),
            trousers: pick(rng, &TROUSERS),
            shoes: pick(rng, &SHOES),
            long_sleeves: rng.random_bool(0.6),
            build: rng.random_range(0.88..1.12),
        }
    }
}

/// A head of radius `r` whose top is at `top`, with hair (or a helmet) on it.
fn head(p: &mut PartsBuilder, looks: &Looks, top: V3, r: f64, helmet: Option<[u8; 3]>) {
    let id = identity();
    p.mesh(Surface::Skin(looks.skin)).ellipsoid(
        &id,
        top + v3(0.01, 0.0, -r * 1.05),
        v3(r * 0.95, r * 0.8, r * 1.05),
        (-90.0, 90.0),
        (6, 3),
    );
    if let Some(shell) = helmet {
        p.mesh(Surface::Body(shell)).ellipsoid(
            &id,
            top + v3(-0.01, 0.0, -r * 1.1),
            v3(r * 1.12, r * 0.98, r * 1.1),
            (-25.0, 90.0),
            (8, 3),
        );
        return;
    }
    let hair = Surface::Cloth(looks.hair);
    p.mesh(hair).ellipsoid(
        &id,
        top + v3(-0.012, 0.0, -r),
        v3(r, r * 0.86, r),
        (0.0, 90.0),
        (8, 2),
    );
    if looks.long_hair {
        p.mesh(hair).ellipsoid(
            &id,
            top + v3(-r * 0.55, 0.0, -r * 1.7),
            v3(r * 0.45, r * 0.8, r * 1.1),
            (-90.0, 90.0),
            (4, 2),
        );
    }
}

/// A walking pedestrian standing in `size`, shirt colour `clothes`.
pub(super) fn pedestrian(size: &Size3, clothes: [u8; 3], rng: &mut ChaCha8Rng) -> Vec<LimbModel> {
    let looks = Looks::draw(rng);
    let id = identity();
    let h = size.height;
    // Children's heads are larger for their height.
    let head_r = 0.105 * (h / 1.75).powf(0.45);
    let leg_h = h * 0.47;
    let shoulder_z = h - 2.1 * head_r - 0.05;
    let half_shoulder = (0.18 * looks.build * h / 1.75).min(size.width / 2.0 - 0.1);
    let shirt = Surface::Cloth(clothes);
    let mut body = PartsBuilder::default();
    body.mesh(Surface::Cloth(looks.trousers)).tube_oriented(
        &id,
        v3(0.0, 0.0, leg_h - 0.06),
        v3(0.0, 0.0, leg_h + 0.08),
        (half_shoulder * 0.78, half_shoulder * 0.8),
        0.72,
        Some(v3(0.0, 1.0, 0.0)),
        8,
    );
    body.mesh(shirt).tube_oriented(
        &id,
        v3(0.0, 0.0, leg_h + 0.06),
        v3(0.0, 0.0, shoulder_z - 0.05),
        (half_shoulder * 0.8, half_shoulder),
        0.68,
        Some(v3(0.0, 1.0, 0.0)),
        8,
    );
    body.mesh(shirt).ellipsoid(
        &id,
        v3(0.0, 0.0, shoulder_z - 0.06),
        v3(half_shoulder * 0.66, half_shoulder, 0.08),
        (0.0, 90.0),
        (8, 2),
    );
    body.mesh(Surface::Skin(looks.skin)).tube(
        &id,
        v3(0.0, 0.0, shoulder_z - 0.04),
        v3(0.0, 0.0, shoulder_z + 0.07),
        (0.05, 0.045),
        6,
    );
    head(&mut body, &looks, v3(0.0, 0.0, h), head_r, None);
    let mut limbs = vec![LimbModel {
        limb: Limb::Body,
        pivot: v3(0.0, 0.0, leg_h),
        parts: body.finish(),
    }];
    let hip = half_shoulder * 0.45;
    for (limb, y) in [(Limb::LeftLeg, hip), (Limb::RightLeg, -hip)] {
        let mut leg = PartsBuilder::default();
        leg.mesh(Surface::Cloth(looks.trousers)).tube(
            &id,
            v3(0.0, y, leg_h),
            v3(0.0, y, 0.08),
            (0.085 * looks.build.min(1.05), 0.052),
            8,
        );
        leg.mesh(Surface::Cloth(looks.shoes))
            .cuboid(v3(0.03, y, 0.0), 0.0, 0.24, 0.1, 0.09);
        limbs.push(LimbModel {
            limb,
            pivot: v3(0.0, y, leg_h),
            parts: leg.finish(),
        });
    }
    let arm_len = h * 0.36;
    let arm_y = half_shoulder + 0.04;
    for (limb, y) in [(Limb::LeftArm, arm_y), (Limb::RightArm, -arm_y)] {
        let mut arm = PartsBuilder::default();
        let shoulder = v3(0.0, y, shoulder_z - 0.05);
        let elbow = shoulder + v3(0.0, 0.0, -arm_len * 0.5);
        let wrist = shoulder + v3(0.02, 0.0, -arm_len * 0.9);
        arm.mesh(shirt)
            .tube(&id, shoulder, elbow, (0.055, 0.048), 6);
        let forearm = if looks.long_sleeves {
            shirt
        } else {
            Surface::Skin(looks.skin)
        };
        arm.mesh(forearm).tube(&id, elbow, wrist, (0.045, 0.036), 6);
        arm.mesh(Surface::Skin(looks.skin)).ellipsoid(
            &id,
            wrist + v3(0.0, 0.0, -0.045),
            v3(0.035, 0.025, 0.05),
            (-90.0, 90.0),
            (4, 2),
        );
        limbs.push(LimbModel {
            limb,
            pivot: shoulder,
            parts: arm.finish(),
        });
    }
    limbs
}

/// A rider sitting at `seat`, hands on the bar at `bar` (`grip` apart from its
/// middle), head top at most `height`;
/// motorcyclists wear a helmet.
pub(super) fn rider(
    seat: V3,
    bar: V3,
    grip: f64,
    height: f64,
    helmet: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<Part> {
    let looks = Looks::draw(rng);
    let id = identity();
    let mut p = PartsBuilder::default();
    let jacket = if helmet {
        [40, 42, 50]
    } else {
        pick(rng, &TOPS)
    };
    let head_r = 0.105;
    let torso = (height - seat.z - 2.1 * head_r - 0.1).clamp(0.3, 0.6);
    let shoulder = seat + v3(0.22 * torso, 0.0, torso);
    let top = shoulder + v3(0.05, 0.0, 2.1 * head_r + 0.08);
    let shirt = Surface::Cloth(jacket);
    p.mesh(shirt).tube_oriented(
        &id,
        seat + v3(0.0, 0.0, 0.02),
        shoulder,
        (0.15, 0.18),
        0.6,
        Some(v3(0.0, 1.0, 0.0)),
        8,
    );
    p.mesh(Surface::Skin(looks.skin)).tube(
        &id,
        shoulder,
        shoulder + v3(0.02, 0.0, 0.1),
        (0.05, 0.045),
        6,
    );
    head(&mut p, &looks, top, head_r, helmet.then_some([30, 30, 34]));
    for side in [-1.0, 1.0] {
        let s = shoulder + v3(0.0, side * 0.19, -0.04);
        let hand = bar + v3(0.0, side * grip, 0.0);
        p.mesh(shirt).tube(&id, s, hand, (0.05, 0.04), 6);
        let hip = seat + v3(0.0, side * 0.1, 0.05);
        let knee = seat + v3(0.38, side * 0.14, 0.0);
        let foot = v3(knee.x - 0.05, side * 0.14, 0.3);
        let legs = Surface::Cloth(looks.trousers);
        p.mesh(legs).tube(&id, hip, knee, (0.08, 0.06), 6);
        p.mesh(legs).tube(&id, knee, foot, (0.055, 0.045), 6);
        p.mesh(Surface::Cloth(looks.shoes)).cuboid(
            foot + v3(0.05, 0.0, -0.06),
            0.0,
            0.22,
            0.09,
            0.08,
        );
    }
    p.finish()
}

/// Shirt colours of cyclists (the plan's colour is the bicycle's).
pub(super) const TOPS: [[u8; 3]; 6] = [
    [40, 40, 60],
    [150, 30, 30],
    [30, 80, 140],
    [200, 200, 190],
    [220, 160, 40],
    [60, 90, 50],
];
