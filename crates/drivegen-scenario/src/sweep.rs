//! How much room a vehicle's body takes on a curve. The traffic core drives every vehicle
//! with both axles on its lane's centre line, so on a curve its middle cuts in and its
//! front and rear corners swing out: a 12 m bus takes about 19.5 / radius m more than its
//! width, a car a few centimetres. Validation refuses curves too tight for the long
//! vehicles a scenario drives, from the same geometry.

/// Half a vehicle's wheelbase, as a share of its length (a car's 2.7 m in 4.5 m, a bus's
/// 7.3 m in 12 m).
pub const HALF_WHEELBASE: f64 = 0.3;

/// How far beyond its half width a vehicle `length` long and `width` wide reaches on a
/// curve whose centre line has `radius`: (inside, its middle cutting in; outside, its
/// front and rear corners swinging out). Both 0 on a straight; on a curve tighter than
/// half the wheelbase (which validation refuses as folded first) the whole width each way.
pub fn curve_swing(length: f64, width: f64, radius: f64) -> (f64, f64) {
    if !radius.is_finite() {
        return (0.0, 0.0);
    }
    let half_base = length * HALF_WHEELBASE;
    if radius <= half_base {
        return (width, width);
    }
    // The body's centre lies on the chord between the axles.
    let centre = (radius * radius - half_base * half_base).sqrt();
    let inside = radius - centre;
    let corner = (centre + width / 2.0).hypot(length / 2.0);
    (inside, corner - (radius + width / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bus_takes_more_room_on_tighter_curves_and_none_extra_on_a_straight() {
        assert_eq!(curve_swing(12.0, 2.55, f64::INFINITY), (0.0, 0.0));
        let (wide_in, wide_out) = curve_swing(12.0, 2.55, 100.0);
        let (tight_in, tight_out) = curve_swing(12.0, 2.55, 25.0);
        assert!(tight_in > 3.5 * wide_in && tight_out > 3.5 * wide_out);
        // Both sides together: about 19.5 / radius.
        let both = tight_in + tight_out;
        assert!((both - 19.5 / 25.0).abs() < 0.1, "{both}");
        // Exactly: the middle of a chord 7.2 m long on a 25 m circle.
        assert!((tight_in - (25.0 - (25.0f64 * 25.0 - 3.6 * 3.6).sqrt())).abs() < 1e-12);
        let (car_in, car_out) = curve_swing(4.5, 1.8, 25.0);
        assert!(car_in + car_out < 0.25, "{car_in} {car_out}");
    }
}
