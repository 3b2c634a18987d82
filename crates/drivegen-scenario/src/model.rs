//! The scenario file's data model: what a designer may write in a `.ron` file.
//!
//! Every struct denies unknown fields (typos become errors with a "did you mean") and
//! defaults every field it can, so a small file only states what differs from a sane
//! urban scene. Units: metres, seconds, metres per second, degrees, Hz.

use serde::{Deserialize, Serialize};

use crate::param::{Categorical, Flag, Param, Weighted};

/// One scenario file: a family of traffic scenes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Another scenario this one overrides, relative to this file. Resolved by the
    /// loader; always `None` on a loaded scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    pub seed: u64,
    /// How many different scenes (variants) to sample from this family: the count of
    /// the `variants` design, derived by the loader (`0..variants` are the variants).
    #[serde(skip)]
    pub variants: u32,
    /// `variants` as written: a count of i.i.d. draws, or a Grid/Sobol coverage design
    /// over named parameters (`coverage.rs`).
    #[serde(rename = "variants", default)]
    pub coverage: crate::coverage::Variants,
    #[serde(default)]
    pub capture: Capture,
    #[serde(default)]
    pub map: MapSpec,
    #[serde(default)]
    pub traffic: TrafficSpec,
    #[serde(default)]
    pub pedestrians: PedestrianSpec,
    #[serde(default)]
    pub signals: SignalSpec,
    #[serde(default)]
    pub environment: EnvironmentSpec,
    #[serde(default)]
    pub ego: EgoSpec,
    #[serde(default)]
    pub sensors: SensorSpec,
    #[serde(default)]
    pub rules: RuleSpec,
    /// Scripted events (cut-ins, hard braking, jaywalkers; see `events.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::events::EventSpec>,
    /// Named actors placed relative to the ego, each other or places (`placement.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<crate::placement::NamedActor>,
    /// Conditions a capture must meet to be written (`filter.rs`); all must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep_frames_where: Vec<crate::filter::FrameCondition>,
}

/// How long each variant runs and how often sensors fire.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Capture {
    /// Simulated seconds captured per variant (ignored when `frames` is set).
    pub duration: f64,
    /// Frames per variant; overrides `duration` as `frames / rate`.
    pub frames: Option<u32>,
    /// Capture rate in Hz (cameras may set their own).
    pub rate: f64,
    /// Seconds simulated before the first capture so traffic is in motion.
    pub warmup: f64,
    /// The render quality `drivegen render` uses unless `--quality` says otherwise.
    pub quality: Quality,
}

/// How the RGB image is rendered; labels are the same at every quality.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quality {
    /// Flat-coloured materials, a plain sky, no shadows: labels-first work, fastest.
    Draft,
    /// Procedural textures, a painted sky with clouds, sun shadows to 150 m, vehicle lamps.
    #[default]
    Default,
    /// As Default, with 4x multisampling, finer shadow cascades and more lit street lights.
    High,
}

impl Quality {
    pub const NAMES: [&'static str; 3] = ["draft", "default", "high"];

    /// Parses a command-line name (`draft`, `default`, `high`).
    pub fn from_name(name: &str) -> Option<Quality> {
        match name.to_ascii_lowercase().as_str() {
            "draft" => Some(Quality::Draft),
            "default" => Some(Quality::Default),
            "high" => Some(Quality::High),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Quality::Draft => "draft",
            Quality::Default => "default",
            Quality::High => "high",
        }
    }
}

impl Default for Capture {
    fn default() -> Self {
        Capture {
            duration: 10.0,
            frames: None,
            rate: 10.0,
            warmup: 1.0,
            quality: Quality::Default,
        }
    }
}

impl Capture {
    /// Number of captures per variant at the scenario rate.
    pub fn frame_count(&self) -> u32 {
        match self.frames {
            Some(n) => n,
            None => (self.duration * self.rate).round().max(0.0) as u32,
        }
    }
}

/// The procedural road network.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MapSpec {
    pub blocks: BlockPlan,
    pub lanes_per_direction: Param,
    pub lane_width: Param,
    pub shoulder_width: Param,
    /// 0 means no sidewalk.
    pub sidewalk_width: Param,
    /// Zebra crossings on every intersection arm.
    pub crosswalks: Flag,
    pub markings: Markings,
    pub speed_limit: Param,
    pub roadside: Roadside,
}

impl Default for MapSpec {
    fn default() -> Self {
        MapSpec {
            blocks: BlockPlan::Sequence(vec![
                Block::Straight {
                    length: Param::Const(80.0),
                },
                Block::Intersection {
                    ways: 4,
                    arm_length: Param::Const(50.0),
                    exit: Turn::Straight,
                },
                Block::Straight {
                    length: Param::Const(80.0),
                },
            ]),
            lanes_per_direction: Param::Const(1.0),
            lane_width: Param::Const(3.5),
            shoulder_width: Param::Const(0.5),
            sidewalk_width: Param::Const(2.5),
            crosswalks: Flag::Fixed(true),
            markings: Markings::default(),
            speed_limit: Param::Const(13.9),
            roadside: Roadside::default(),
        }
    }
}

/// Either an explicit chain of blocks or a block-incremental random draw.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum BlockPlan {
    /// The blocks in order, each attached to the previous block's exit.
    Sequence(Vec<Block>),
    /// `count` blocks, each drawn from `weights`; a block that would overlap the network
    /// is redrawn (MetaDrive-style block-incremental generation).
    Random {
        count: Param,
        weights: Vec<(f64, Block)>,
    },
}

impl Default for BlockPlan {
    fn default() -> Self {
        MapSpec::default().blocks
    }
}

/// One road building block.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Block {
    Straight {
        length: Param,
    },
    /// Positive angles turn left, negative right (degrees).
    Curve {
        radius: Param,
        angle: Param,
    },
    /// A 3- or 4-way junction; the route continues through `exit`.
    Intersection {
        ways: u8,
        #[serde(default = "defaults::arm_length")]
        arm_length: Param,
        #[serde(default)]
        exit: Turn,
    },
    /// A roundabout with `exits` arms; the route leaves through the opposite arm.
    Roundabout {
        radius: Param,
        #[serde(default = "defaults::four")]
        exits: u8,
        #[serde(default = "defaults::arm_length")]
        arm_length: Param,
    },
    /// A ramp joining from the right over `length` metres.
    OnRamp {
        length: Param,
    },
    /// A ramp leaving to the right over `length` metres.
    OffRamp {
        length: Param,
    },
}

impl Block {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Block::Straight { .. } => "Straight",
            Block::Curve { .. } => "Curve",
            Block::Intersection { .. } => "Intersection",
            Block::Roundabout { .. } => "Roundabout",
            Block::OnRamp { .. } => "OnRamp",
            Block::OffRamp { .. } => "OffRamp",
        }
    }
}

/// Which arm a route takes through a junction.
#[derive(
    Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub enum Turn {
    #[default]
    Straight,
    Left,
    Right,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Markings {
    /// Between the two directions.
    pub center: MarkingStyle,
    /// Between lanes of one direction.
    pub lane: MarkingStyle,
    /// Along the outer edge of the carriageway.
    pub edge: MarkingStyle,
}

impl Default for Markings {
    fn default() -> Self {
        Markings {
            center: MarkingStyle::DoubleSolidYellow,
            lane: MarkingStyle::DashedWhite,
            edge: MarkingStyle::SolidWhite,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum MarkingStyle {
    None,
    SolidWhite,
    DashedWhite,
    SolidYellow,
    DashedYellow,
    DoubleSolidYellow,
}

/// Roadside objects per 100 m of road side.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Roadside {
    pub buildings: Param,
    pub building_height: Param,
    pub trees: Param,
    pub poles: Param,
    pub signs: Param,
    /// Street lights per 100 m (lit when the environment says so).
    pub street_lights: Param,
    /// Share of each verge (0-1) backed by woodland: stands of trees behind the
    /// roadside, clear of roads, sidewalks and props. 0 (the default) plants none.
    pub woodland: Param,
    /// Litter bins per 100 m of sidewalk, at the kerb.
    pub bins: Param,
    /// Fire hydrants per 100 m of sidewalk, at the kerb.
    pub hydrants: Param,
    /// Bus stops per 100 m of sidewalk: a shelter behind the sidewalk and a stop sign
    /// at the kerb.
    pub bus_stops: Param,
    /// Share of each road side (0-1) fenced: behind the sidewalk, or off the verge
    /// where there is none, between the other props.
    pub fences: Param,
}

impl Default for Roadside {
    fn default() -> Self {
        Roadside {
            buildings: Param::Const(4.0),
            building_height: Param::Uniform(8.0, 24.0),
            trees: Param::Const(4.0),
            poles: Param::Const(2.0),
            signs: Param::Const(1.0),
            street_lights: Param::Const(2.0),
            woodland: Param::Const(0.0),
            bins: Param::Const(2.0),
            hydrants: Param::Const(1.0),
            bus_stops: Param::Const(0.5),
            fences: Param::Const(0.3),
        }
    }
}

/// Moving and parked vehicles.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficSpec {
    /// Moving vehicles besides the ego.
    pub vehicles: Param,
    pub classes: Weighted<VehicleClass>,
    pub colors: Weighted<Color>,
    /// Desired speed as a fraction of the road's speed limit.
    pub speed_factor: Param,
    pub idm: IdmSpec,
    /// 0 = never changes lanes, 1 = changes whenever it gains.
    pub lane_change_eagerness: Param,
    /// Vehicles parked on the shoulder.
    pub parked: Param,
    /// Discretionary (MOBIL) lane changes by traffic, as eager as
    /// `lane_change_eagerness`. Off by default so existing scenes keep their trajectories.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lane_changes: bool,
    /// Exact numbers of extra vehicles per class, with their own behaviour.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<crate::placement::Population>,
}

impl Default for TrafficSpec {
    fn default() -> Self {
        TrafficSpec {
            vehicles: Param::Const(12.0),
            classes: Weighted(vec![
                (6.0, VehicleClass::Car),
                (2.0, VehicleClass::Suv),
                (1.0, VehicleClass::Van),
                (0.5, VehicleClass::Truck),
                (0.3, VehicleClass::Bus),
                (0.4, VehicleClass::Motorcycle),
                (0.4, VehicleClass::Bicycle),
            ]),
            colors: Weighted(vec![
                (3.0, Color::White),
                (2.5, Color::Black),
                (2.0, Color::Silver),
                (1.0, Color::Red),
                (1.0, Color::Blue),
            ]),
            speed_factor: Param::Normal {
                mean: 0.95,
                std: 0.1,
                clamp: Some((0.6, 1.2)),
            },
            idm: IdmSpec::default(),
            lane_change_eagerness: Param::Uniform(0.1, 0.6),
            parked: Param::Const(0.0),
            lane_changes: false,
            populations: Vec::new(),
        }
    }
}

/// Intelligent Driver Model car-following parameters.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdmSpec {
    /// Desired time gap to the leader (s).
    pub time_headway: Param,
    /// Bumper-to-bumper gap at standstill (m).
    pub min_gap: Param,
    /// m/s².
    pub max_accel: Param,
    /// m/s², positive.
    pub comfortable_decel: Param,
}

impl Default for IdmSpec {
    fn default() -> Self {
        IdmSpec {
            time_headway: Param::Uniform(1.0, 2.0),
            min_gap: Param::Const(2.0),
            max_accel: Param::Const(1.5),
            comfortable_decel: Param::Const(2.5),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VehicleClass {
    Car,
    Suv,
    Van,
    Truck,
    Bus,
    Motorcycle,
    Bicycle,
}

impl VehicleClass {
    /// The factors the planner scales each nominal dimension of a vehicle by, drawn
    /// uniformly between them: vehicles of a class differ by a few percent.
    pub const SIZE_DRAWN: std::ops::Range<f64> = 0.96..1.04;

    /// Nominal (length, width, height) in metres; the planner varies each vehicle's by a
    /// few percent ([`Self::SIZE_DRAWN`]). The box is centred on the vehicle's pose, from
    /// the ground up.
    pub fn nominal_size(self) -> (f64, f64, f64) {
        match self {
            VehicleClass::Car => (4.5, 1.8, 1.45),
            VehicleClass::Suv => (4.8, 1.95, 1.75),
            VehicleClass::Van => (5.2, 2.0, 2.1),
            VehicleClass::Truck => (8.5, 2.5, 3.4),
            VehicleClass::Bus => (12.0, 2.55, 3.2),
            VehicleClass::Motorcycle => (2.1, 0.8, 1.5),
            VehicleClass::Bicycle => (1.8, 0.6, 1.7),
        }
    }

    pub const ALL: [VehicleClass; 7] = [
        VehicleClass::Car,
        VehicleClass::Suv,
        VehicleClass::Van,
        VehicleClass::Truck,
        VehicleClass::Bus,
        VehicleClass::Motorcycle,
        VehicleClass::Bicycle,
    ];
}

/// A vehicle paint colour: a named colour or linear-free sRGB bytes.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub enum Color {
    White,
    Black,
    Silver,
    Grey,
    Red,
    Blue,
    Green,
    Yellow,
    Orange,
    Brown,
    Rgb(u8, u8, u8),
}

impl Color {
    /// sRGB bytes.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Color::White => [236, 236, 232],
            Color::Black => [22, 22, 24],
            Color::Silver => [170, 172, 176],
            Color::Grey => [105, 107, 110],
            Color::Red => [170, 24, 28],
            Color::Blue => [28, 58, 150],
            Color::Green => [30, 110, 50],
            Color::Yellow => [230, 190, 30],
            Color::Orange => [225, 110, 20],
            Color::Brown => [105, 70, 40],
            Color::Rgb(r, g, b) => [r, g, b],
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PedestrianSpec {
    pub count: Param,
    /// m/s.
    pub walking_speed: Param,
    /// Probability that a pedestrian crosses at a crosswalk during the run.
    pub crossing_probability: Param,
    /// Where pedestrians start.
    pub spawn_on: Weighted<WalkArea>,
    /// Adults and children (heights 1.55 – 1.9 m and 1.1 – 1.3 m).
    #[serde(skip_serializing_if = "crate::placement::adults_only")]
    pub kinds: Weighted<crate::placement::PedestrianKind>,
}

impl Default for PedestrianSpec {
    fn default() -> Self {
        PedestrianSpec {
            count: Param::Const(10.0),
            walking_speed: Param::Normal {
                mean: 1.4,
                std: 0.2,
                clamp: Some((0.6, 2.2)),
            },
            crossing_probability: Param::Const(0.3),
            spawn_on: Weighted(vec![(4.0, WalkArea::Sidewalk), (1.0, WalkArea::Crosswalk)]),
            kinds: Weighted::one(crate::placement::PedestrianKind::Adult),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WalkArea {
    Sidewalk,
    Crosswalk,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalSpec {
    /// Traffic lights at intersections.
    pub enabled: Flag,
    /// Seconds of green per phase.
    pub green: Param,
    pub amber: Param,
    /// All-red clearance between phases.
    pub all_red: Param,
    /// Seconds into the cycle at t = 0; omitted means drawn uniformly over the cycle.
    pub offset: Option<Param>,
}

impl Default for SignalSpec {
    fn default() -> Self {
        SignalSpec {
            enabled: Flag::Fixed(true),
            green: Param::Uniform(15.0, 30.0),
            amber: Param::Const(3.0),
            all_red: Param::Const(1.0),
            offset: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvironmentSpec {
    /// Local solar time in hours, 0..24.
    pub time_of_day: Param,
    /// Degrees above the horizon; omitted means derived from `time_of_day`.
    pub sun_elevation: Option<Param>,
    /// Degrees clockwise from north (+y); omitted means derived from `time_of_day`.
    pub sun_azimuth: Option<Param>,
    /// 0..1.
    pub cloudiness: Param,
    /// 0..1 intensity.
    pub rain: Param,
    /// Exponential fog density per metre (0 = clear, 0.02 = thick).
    pub fog_density: Param,
    /// omitted means wet whenever rain > 0.1.
    pub wet_road: Option<Flag>,
    pub street_lights: StreetLights,
}

impl Default for EnvironmentSpec {
    fn default() -> Self {
        EnvironmentSpec {
            time_of_day: Param::Uniform(9.0, 16.0),
            sun_elevation: None,
            sun_azimuth: None,
            cloudiness: Param::Uniform(0.0, 0.5),
            rain: Param::Const(0.0),
            fog_density: Param::Const(0.0),
            wet_road: None,
            street_lights: StreetLights::Auto,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum StreetLights {
    /// On when the sun is less than 5 degrees above the horizon.
    #[default]
    Auto,
    On,
    Off,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EgoSpec {
    pub class: VehicleClass,
    pub color: Weighted<Color>,
    /// The turn taken at each junction on the ego's route.
    pub route: Weighted<Turn>,
    /// Fraction of the speed limit the ego aims for.
    pub speed_factor: Param,
    pub idm: IdmSpec,
    /// Metres along the first block where the ego starts.
    pub start_offset: Param,
    /// Lane index from the right (0 = rightmost lane of the ego's direction).
    pub lane: Param,
}

impl Default for EgoSpec {
    fn default() -> Self {
        EgoSpec {
            class: VehicleClass::Car,
            color: Weighted::one(Color::Silver),
            route: Weighted(vec![
                (2.0, Turn::Straight),
                (1.0, Turn::Left),
                (1.0, Turn::Right),
            ]),
            speed_factor: Param::Const(0.9),
            idm: IdmSpec::default(),
            start_offset: Param::Const(10.0),
            lane: Param::Const(0.0),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SensorSpec {
    pub cameras: Vec<CameraSpec>,
    pub lidar: Option<LidarSpec>,
}

impl Default for SensorSpec {
    fn default() -> Self {
        SensorSpec {
            cameras: vec![CameraSpec::default()],
            lidar: None,
        }
    }
}

/// A camera rigidly mounted on the ego. Sensor rigs are constants, not distributions:
/// a dataset's calibration must be the same for every frame of a camera.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraSpec {
    pub name: String,
    pub mount: Mount,
    pub width: u32,
    pub height: u32,
    /// Horizontal field of view in degrees.
    pub hfov: f64,
    /// Hz; omitted means the scenario's capture rate.
    pub rate: Option<f64>,
    /// Lens and image pipeline; omitted means an ideal pinhole camera and the renderer's
    /// image untouched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<CameraSensorSpec>,
}

impl Default for CameraSpec {
    fn default() -> Self {
        CameraSpec {
            name: "front".into(),
            mount: Mount::default(),
            width: 640,
            height: 384,
            hfov: 90.0,
            rate: None,
            sensor: None,
        }
    }
}

/// A camera's sensor model (REFERENCE.md, "Camera sensor model"). Every field may be a
/// distribution, drawn once per variant and camera; the defaults change nothing.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraSensorSpec {
    /// Brown–Conrady lens distortion, applied to RGB and every label image alike.
    pub distortion: Option<DistortionSpec>,
    /// Exposure compensation in stops (EV): the image's light times 2^exposure.
    pub exposure: Param,
    /// White-balance gains of the red and blue channels (green is 1).
    pub red_gain: Param,
    pub blue_gain: Param,
    /// Share of light lost in the image corners (0 none); falls off with the square of
    /// the distance from the centre.
    pub vignetting: Param,
    /// Sensor sensitivity for shot and read noise; 0 turns noise off.
    pub iso: Param,
    /// Read noise in electrons at the base ISO of 100.
    pub read_noise: Param,
    /// Lateral chromatic aberration: how far (pixels) red is imaged outwards and blue
    /// inwards of green in the image's farthest corner, less towards the centre.
    pub chromatic_aberration: Param,
    /// Slight defocus: the standard deviation (pixels) of a Gaussian blur.
    pub defocus: Param,
    /// Auto-exposure: the mean linear level each frame is scaled to (0 off), before
    /// `exposure` compensates it.
    pub auto_exposure: Param,
    /// Exposure time (s) for motion blur from the ego's speed; 0 for none.
    pub exposure_time: Param,
    /// JPEG compression of the delivered RGB at this quality (1-100); 0 for none.
    pub jpeg_quality: Param,
    /// Colour saturation (1 unchanged, 0 grey).
    pub saturation: Param,
    /// Contrast around mid-grey in display values (1 unchanged; below 1 lifts blacks).
    pub contrast: Param,
    /// Veiling glare (bloom): the share of each highlight's light the lens scatters into
    /// a halo around it (0 none); lamps at night glow.
    pub glare: Param,
    /// Demosaicing and chroma noise reduction: the standard deviation (pixels) of a
    /// Gaussian blur of the colour (YCbCr chroma) channels only, the luma kept sharp.
    pub chroma_blur: Param,
}

impl Default for CameraSensorSpec {
    fn default() -> Self {
        CameraSensorSpec {
            distortion: None,
            exposure: Param::Const(0.0),
            red_gain: Param::Const(1.0),
            blue_gain: Param::Const(1.0),
            vignetting: Param::Const(0.0),
            iso: Param::Const(0.0),
            read_noise: Param::Const(3.0),
            chromatic_aberration: Param::Const(0.0),
            defocus: Param::Const(0.0),
            auto_exposure: Param::Const(0.0),
            exposure_time: Param::Const(0.0),
            jpeg_quality: Param::Const(0.0),
            saturation: Param::Const(1.0),
            contrast: Param::Const(1.0),
            glare: Param::Const(0.0),
            chroma_blur: Param::Const(0.0),
        }
    }
}

/// Brown–Conrady coefficients as OpenCV names them: radial k1, k2, k3 and tangential
/// p1, p2, on normalised image coordinates (x = (u - cx) / fx).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DistortionSpec {
    pub k1: Param,
    pub k2: Param,
    pub p1: Param,
    pub p2: Param,
    pub k3: Param,
}

/// A pose on the ego: x forward, y left, z up from the ego's rear-axle ground point;
/// angles in degrees (yaw left-positive, pitch down-positive, roll right-positive).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Mount {
    pub x: f64,
    pub y: f64,
    pub z: f64,
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
}

impl Default for Mount {
    fn default() -> Self {
        Mount {
            x: 1.5,
            y: 0.0,
            z: 1.5,
            yaw: 0.0,
            pitch: 3.0,
            roll: 0.0,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LidarSpec {
    /// Fields left out take the LiDAR's defaults ([`Mount::LIDAR`]), not a camera's.
    #[serde(deserialize_with = "lidar_mount")]
    pub mount: Mount,
    pub channels: u32,
    /// (lowest, highest) elevation in degrees.
    pub vertical_fov: (f64, f64),
    /// Points per channel per revolution.
    pub horizontal_resolution: u32,
    /// Metres.
    pub range: f64,
    /// Revolutions per second.
    pub rotation_rate: f64,
}

impl Mount {
    /// A LiDAR's default mount: on the roof above the rear axle, level.
    pub const LIDAR: Mount = Mount {
        x: 0.0,
        y: 0.0,
        z: 1.9,
        yaw: 0.0,
        pitch: 0.0,
        roll: 0.0,
    };
}

/// A mount as written: every field optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartialMount {
    x: Option<f64>,
    y: Option<f64>,
    z: Option<f64>,
    yaw: Option<f64>,
    pitch: Option<f64>,
    roll: Option<f64>,
}

/// A LiDAR mount whose omitted fields take [`Mount::LIDAR`]'s values (a plain `Mount`
/// would fill them with the camera defaults: a pitched sweep 1.5 m forward).
fn lidar_mount<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Mount, D::Error> {
    let p = PartialMount::deserialize(d)?;
    let l = Mount::LIDAR;
    Ok(Mount {
        x: p.x.unwrap_or(l.x),
        y: p.y.unwrap_or(l.y),
        z: p.z.unwrap_or(l.z),
        yaw: p.yaw.unwrap_or(l.yaw),
        pitch: p.pitch.unwrap_or(l.pitch),
        roll: p.roll.unwrap_or(l.roll),
    })
}

impl Default for LidarSpec {
    fn default() -> Self {
        LidarSpec {
            mount: Mount::LIDAR,
            channels: 32,
            vertical_fov: (-25.0, 15.0),
            horizontal_resolution: 1024,
            range: 100.0,
            rotation_rate: 10.0,
        }
    }
}

/// Placement constraints, enforced by rejection sampling.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleSpec {
    /// Draws per actor before the scene is declared unsatisfiable.
    pub max_attempts: u32,
    /// Minimum bumper-to-bumper gap between vehicles in one lane (m).
    pub min_vehicle_gap: f64,
    /// Minimum clearance between any two actors' footprints (m).
    pub min_clearance: f64,
    /// No actor starts inside a junction box.
    pub keep_junctions_clear: bool,
}

impl Default for RuleSpec {
    fn default() -> Self {
        RuleSpec {
            max_attempts: 200,
            min_vehicle_gap: 4.0,
            min_clearance: 0.3,
            keep_junctions_clear: true,
        }
    }
}

mod defaults {
    use crate::param::Param;

    pub fn four() -> u8 {
        4
    }
    pub fn arm_length() -> Param {
        Param::Const(50.0)
    }
}

impl Categorical for VehicleClass {
    const KIND: &'static str = "vehicle class";
    const NAMES: &'static [&'static str] =
        &["Car", "Suv", "Van", "Truck", "Bus", "Motorcycle", "Bicycle"];
}

impl Categorical for Color {
    const KIND: &'static str = "colour";
    const NAMES: &'static [&'static str] = &[
        "White", "Black", "Silver", "Grey", "Red", "Blue", "Green", "Yellow", "Orange", "Brown",
        "Rgb",
    ];
}

impl Categorical for Turn {
    const KIND: &'static str = "turn";
    const NAMES: &'static [&'static str] = &["Straight", "Left", "Right"];
}

impl Categorical for WalkArea {
    const KIND: &'static str = "walk area";
    const NAMES: &'static [&'static str] = &["Sidewalk", "Crosswalk"];
}
