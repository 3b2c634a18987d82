//! The non-geometric parts of a plan: signals, environment, sensor rig, capture schedule.

use drivegen_scenario::{CameraSensorSpec, Scenario, StreetLights};
use rand::Rng;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::geom::tan;
use crate::types::*;

/// Simulation steps per second: the engine advances by exactly this step.
pub const SIM_RATE: f64 = drivegen_scenario::validate::caps::SIMULATION_RATE;

/// Decides which intersections are signalised and their timing.
pub(crate) fn plan_signals(s: &Scenario, net: &mut RoadNetwork, rng: &mut ChaCha8Rng) {
    for j in &mut net.junctions {
        if !matches!(j.kind, JunctionKind::Intersection { .. }) {
            continue;
        }
        if !s.signals.enabled.sample(rng) {
            continue;
        }
        let mut timing = SignalTiming {
            green: [
                s.signals.green.sample(rng).max(1.0),
                s.signals.green.sample(rng).max(1.0),
            ],
            amber: s.signals.amber.sample(rng).max(0.0),
            all_red: s.signals.all_red.sample(rng).max(0.0),
            offset: 0.0,
        };
        timing.offset = match &s.signals.offset {
            Some(p) => p.sample(rng).max(0.0),
            None => rng.random_range(0.0..timing.cycle()),
        };
        j.signal = Some(timing);
    }
}

/// Sun position for a local solar time when the scenario does not fix it: rises in the
/// east at 6:00, culminates at 60 degrees in the south at 12:00, sets in the west at 18:00.
pub fn sun_from_time(hours: f64) -> (f64, f64) {
    let day = (hours - 6.0) / 12.0 * std::f64::consts::PI;
    let elevation = 60.0 * libm::sin(day);
    let azimuth = (90.0 + 180.0 * (hours - 6.0) / 12.0).rem_euclid(360.0);
    (elevation, azimuth)
}

/// Sun elevation (degrees) below which `StreetLights::Auto` switches the street lights on,
/// and below which vehicles drive with their lights on (street lights or not).
pub const STREET_LIGHTS_BELOW_SUN_DEG: f64 = 5.0;

/// Where the weather's words begin, as captions name it and the refiner's reach fades:
/// fog density above which the air is hazy, and above which it is fog; rain above which
/// it is light rain, and above which heavy.
pub const HAZE_ABOVE_FOG_DENSITY: f64 = 0.002;
pub const FOG_ABOVE_FOG_DENSITY: f64 = 0.01;
pub const LIGHT_RAIN_ABOVE: f64 = 0.1;
pub const HEAVY_RAIN_ABOVE: f64 = 0.6;

/// The least cloud cover under which it rains this hard: rain falls from a sky at least
/// 70 % covered, a downpour from an overcast one. Drawn independently, a scenario's
/// `rain: Bernoulli(0.3)` beside `cloudiness: Uniform(0.6, 1.0)` rained from under a
/// shining sun that cast shadows and glinted off the wet road.
pub fn cloud_cover_for_rain(rain: f64) -> f64 {
    if rain > 0.0 {
        (0.7 + 0.3 * rain).min(1.0)
    } else {
        0.0
    }
}

pub(crate) fn plan_environment(s: &Scenario, rng: &mut ChaCha8Rng) -> EnvironmentPlan {
    let e = &s.environment;
    let time_of_day = e.time_of_day.sample(rng).clamp(0.0, 24.0);
    let (el, az) = sun_from_time(time_of_day);
    let sun_elevation_deg = e.sun_elevation.as_ref().map_or(el, |p| p.sample(rng));
    let sun_azimuth_deg = e.sun_azimuth.as_ref().map_or(az, |p| p.sample(rng));
    let drawn_cloudiness = e.cloudiness.sample(rng).clamp(0.0, 1.0);
    let rain = e.rain.sample(rng).clamp(0.0, 1.0);
    let cloudiness = drawn_cloudiness.max(cloud_cover_for_rain(rain));
    let fog_density = e.fog_density.sample(rng).max(0.0);
    let wet_road = match &e.wet_road {
        Some(f) => f.sample(rng),
        None => rain > 0.1,
    };
    let street_lights_on = match e.street_lights {
        StreetLights::Auto => sun_elevation_deg < STREET_LIGHTS_BELOW_SUN_DEG,
        StreetLights::On => true,
        StreetLights::Off => false,
    };
    let daylight = ((sun_elevation_deg + 6.0) / 36.0).clamp(0.0, 1.0);
    let ambient =
        (0.05 + 0.95 * daylight * daylight * (3.0 - 2.0 * daylight)) * (1.0 - 0.5 * cloudiness);
    EnvironmentPlan {
        time_of_day,
        sun_elevation_deg,
        sun_azimuth_deg,
        cloudiness,
        rain,
        fog_density,
        wet_road,
        street_lights_on,
        ambient,
    }
}

/// The rig with each camera's sensor model drawn from the variant's `camera-sensor`
/// stream (cameras in order; a camera without a sensor model draws nothing).
pub(crate) fn plan_sensors_drawn(s: &Scenario, rng: &mut ChaCha8Rng) -> SensorRig {
    let mut rig = plan_sensors(s);
    for (plan, spec) in rig.cameras.iter_mut().zip(&s.sensors.cameras) {
        plan.sensor = spec.sensor.as_ref().map(|m| plan_camera_sensor(m, rng));
    }
    rig
}

fn plan_camera_sensor(m: &CameraSensorSpec, rng: &mut ChaCha8Rng) -> SensorPlan {
    let distortion = m.distortion.as_ref().map(|d| {
        [
            d.k1.sample(rng),
            d.k2.sample(rng),
            d.p1.sample(rng),
            d.p2.sample(rng),
            d.k3.sample(rng),
        ]
    });
    let exposure_ev = m.exposure.sample(rng);
    let red = m.red_gain.sample(rng);
    let blue = m.blue_gain.sample(rng);
    let vignetting = m.vignetting.sample(rng).clamp(0.0, 0.95);
    let iso = m.iso.sample(rng).max(0.0);
    let read_noise = m.read_noise.sample(rng).max(0.0);
    let chromatic_aberration = m.chromatic_aberration.sample(rng).max(0.0);
    let defocus = m.defocus.sample(rng).max(0.0);
    let auto_exposure = m.auto_exposure.sample(rng).max(0.0);
    let exposure_time = m.exposure_time.sample(rng).max(0.0);
    let jpeg_quality = m.jpeg_quality.sample(rng).clamp(0.0, 100.0);
    let noise_seed = rng.next_u64();
    // Drawn after the noise seed, so adding these fields moved no earlier draw.
    let saturation = m.saturation.sample(rng).clamp(0.0, 2.0);
    let contrast = m.contrast.sample(rng).clamp(0.25, 2.0);
    let glare = m.glare.sample(rng).clamp(0.0, 1.0);
    let chroma_blur = m.chroma_blur.sample(rng).clamp(0.0, 8.0);
    SensorPlan {
        distortion,
        exposure_ev,
        white_balance: [red.max(0.0), 1.0, blue.max(0.0)],
        vignetting,
        iso,
        read_noise,
        chromatic_aberration,
        defocus,
        auto_exposure,
        exposure_time,
        jpeg_quality,
        saturation,
        contrast,
        glare,
        chroma_blur,
        noise_seed,
    }
}

/// The rig without sensor models (as the actor placement's visibility checks need it).
pub(crate) fn plan_sensors(s: &Scenario) -> SensorRig {
    let cameras = s
        .sensors
        .cameras
        .iter()
        .map(|c| {
            let w = f64::from(c.width);
            let h = f64::from(c.height);
            let fx = (w / 2.0) / tan(c.hfov.to_radians() / 2.0);
            let vfov = 2.0 * libm::atan((h / 2.0) / fx);
            CameraPlan {
                name: c.name.clone(),
                mount: c.mount,
                width: c.width,
                height: c.height,
                hfov_deg: c.hfov,
                vfov_deg: vfov.to_degrees(),
                fx,
                fy: fx,
                cx: w / 2.0,
                cy: h / 2.0,
                rate: c.rate.unwrap_or(s.capture.rate).min(s.capture.rate),
                sensor: None,
            }
        })
        .collect();
    SensorRig {
        cameras,
        lidar: s.sensors.lidar.clone(),
    }
}

/// Capture ticks at the scenario rate after the warm-up; a slower camera fires on the
/// ticks where its own clock advances.
pub(crate) fn plan_schedule(s: &Scenario, rig: &SensorRig) -> CaptureSchedule {
    let rate = s.capture.rate;
    let ticks = (0..s.capture.frame_count())
        .map(|k| {
            let time_wanted = s.capture.warmup + f64::from(k) / rate;
            let step = (time_wanted * SIM_RATE).round() as u64;
            let cameras = rig
                .cameras
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    let ratio = c.rate / rate;
                    k == 0 || (f64::from(k) * ratio).floor() != (f64::from(k - 1) * ratio).floor()
                })
                .map(|(i, _)| i as u8)
                .collect();
            CaptureTick {
                frame: k,
                step,
                time: step as f64 / SIM_RATE,
                cameras,
            }
        })
        .collect();
    CaptureSchedule {
        sim_rate: SIM_RATE,
        ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_phases_alternate_and_never_both_green() {
        let t = SignalTiming {
            green: [10.0, 20.0],
            amber: 3.0,
            all_red: 1.0,
            offset: 0.0,
        };
        assert_eq!(t.cycle(), 38.0);
        assert_eq!(t.state(0, 5.0), LampState::Green);
        assert_eq!(t.state(0, 11.0), LampState::Amber);
        assert_eq!(t.state(0, 13.5), LampState::Red);
        assert_eq!(t.state(1, 13.5), LampState::Red);
        assert_eq!(t.state(1, 15.0), LampState::Green);
        for i in 0..380 {
            let time = f64::from(i) * 0.1;
            assert!(
                !(t.state(0, time) == LampState::Green && t.state(1, time) == LampState::Green)
            );
        }
    }

    #[test]
    fn sun_rises_east_and_culminates_south() {
        let (el, az) = sun_from_time(12.0);
        assert!((el - 60.0).abs() < 1e-9 && (az - 180.0).abs() < 1e-9);
        let (el, az) = sun_from_time(6.0);
        assert!(el.abs() < 1e-9 && (az - 90.0).abs() < 1e-9);
        assert!(sun_from_time(22.0).0 < 0.0);
    }
}
