//! The `ScenePlan`: everything the engine needs to build one scene, fully decided.
//!
//! A plan contains no randomness and no references to the scenario's distributions:
//! the engine, the labeler and the dataset writers all read the same numbers. Frame
//! x east, y north, z up, metres, radians (yaw counter-clockwise from +x).

use drivegen_scenario::{LidarSpec, MarkingStyle, Mount, Turn, VehicleClass};
use serde::{Deserialize, Serialize};

use crate::geom::{Obb, Polyline, Pose2, V2};

/// Bumped whenever the plan's layout changes; readers refuse other versions.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Instance-id ranges (ids fit the 16-bit instance images).
///
/// Every id the planner hands out comes from [`ids::Range::nth`], which returns an
/// [`ids::IdOverflow`] instead of letting one range run into the next; the count caps
/// of `drivegen_scenario::validate::caps` fit inside the ranges (checked at compile time).
pub mod ids {
    use drivegen_scenario::validate::caps;

    pub const EGO: u32 = 1;
    pub const VEHICLES: u32 = 100;
    pub const PARKED: u32 = 1_100;
    pub const PEDESTRIANS: u32 = 2_100;
    /// A rider's id is this plus the id of the bicycle or motorcycle it sits on.
    pub const RIDERS: u32 = 4_000;
    pub const PROPS: u32 = 6_000;
    pub const MAX_PROPS: u32 = 59_000;

    /// One range of instance ids, `[start, end)`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Range {
        Vehicles,
        Parked,
        Pedestrians,
        Riders,
        Props,
    }

    impl Range {
        pub const fn start(self) -> u32 {
            match self {
                Range::Vehicles => VEHICLES,
                Range::Parked => PARKED,
                Range::Pedestrians => PEDESTRIANS,
                Range::Riders => RIDERS,
                Range::Props => PROPS,
            }
        }

        /// One past the last id of the range.
        pub const fn end(self) -> u32 {
            match self {
                Range::Vehicles => PARKED,
                Range::Parked => PEDESTRIANS,
                Range::Pedestrians => RIDERS,
                Range::Riders => PROPS,
                Range::Props => PROPS + MAX_PROPS,
            }
        }

        /// How many ids the range holds.
        pub const fn capacity(self) -> u32 {
            self.end() - self.start()
        }

        pub const fn name(self) -> &'static str {
            match self {
                Range::Vehicles => "moving vehicle",
                Range::Parked => "parked vehicle",
                Range::Pedestrians => "pedestrian",
                Range::Riders => "rider",
                Range::Props => "prop",
            }
        }

        /// The id of member `index` (from 0), or an error when it would leave the range.
        pub fn nth(self, index: u32) -> Result<u32, IdOverflow> {
            if index < self.capacity() {
                Ok(self.start() + index)
            } else {
                Err(IdOverflow { range: self, index })
            }
        }
    }

    /// The id of the rider on the two-wheeler with id `vehicle`.
    pub fn rider(vehicle: u32) -> Result<u32, IdOverflow> {
        Range::Riders.nth(vehicle)
    }

    /// An id that would leave its range (and collide with the next, or overflow the
    /// 16-bit instance images).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
    #[error(
        "{} {} would get id {}, outside the {} ids [{}, {})",
        range.name(),
        index + 1,
        u64::from(range.start()) + u64::from(*index),
        range.name(),
        range.start(),
        range.end()
    )]
    pub struct IdOverflow {
        pub range: Range,
        /// The member's index from 0.
        pub index: u32,
    }

    // The caps fit the ranges, and every id fits 16 bits. Riders sit on the ego or a
    // moving vehicle (parked vehicles are cars, SUVs and vans).
    const _: () = {
        assert!(EGO < VEHICLES);
        assert!(caps::VEHICLES <= Range::Vehicles.capacity());
        assert!(caps::PARKED <= Range::Parked.capacity());
        assert!(caps::PEDESTRIANS <= Range::Pedestrians.capacity());
        assert!(Range::Vehicles.end() <= Range::Riders.capacity());
        assert!(Range::Props.end() - 1 <= u16::MAX as u32);
    };
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenePlan {
    pub format_version: u32,
    pub scenario: String,
    pub scenario_seed: u64,
    pub variant: u32,
    pub variant_seed: u64,
    pub network: RoadNetwork,
    pub props: Vec<Prop>,
    /// Ego first, then by id.
    pub actors: Vec<Actor>,
    pub environment: EnvironmentPlan,
    pub sensors: SensorRig,
    pub schedule: CaptureSchedule,
    /// Scripted events in the scenario's order (absent when none, so plans without
    /// events keep their bytes and hashes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::events::EventPlan>,
    /// Traffic changes lanes by MOBIL (`traffic.lane_changes`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lane_changes: bool,
    /// The parameters a Grid/Sobol `variants` design fixed for this variant, in axis
    /// order (absent for i.i.d. variants, so their plans keep their bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<(String, f64)>,
    /// Stands of trees behind the roadside (`map.roadside.woodland`; absent when none,
    /// so plans without woodland keep their bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub woodland: Vec<TreeStand>,
}

impl ScenePlan {
    pub fn ego(&self) -> Option<&Actor> {
        self.actors.iter().find(|a| a.role == Role::Ego)
    }

    pub fn lane(&self, id: u32) -> Option<&Lane> {
        self.network.lanes.get(id as usize).filter(|l| l.id == id)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadNetwork {
    pub roads: Vec<Road>,
    /// Indexed by lane id.
    pub lanes: Vec<Lane>,
    pub junctions: Vec<Junction>,
    pub crosswalks: Vec<Crosswalk>,
    /// Sidewalks and junction corner pads: where pedestrians may stand.
    pub walkways: Vec<Walkway>,
    pub markings: Vec<Marking>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoadKind {
    /// The route's own road between blocks.
    Main,
    /// A junction arm that is not on the route.
    Arm,
    Ramp,
    /// A roundabout's circulating carriageway (one-way, counter-clockwise).
    Ring,
}

/// A carriageway along a reference line: `lanes_right` lanes travel along the line on its
/// right, `lanes_left` against it on its left.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Road {
    pub id: u32,
    pub kind: RoadKind,
    pub reference: Polyline,
    pub lanes_right: u8,
    pub lanes_left: u8,
    pub lane_width: f64,
    pub shoulder: f64,
    pub sidewalk: f64,
    pub speed_limit: f64,
}

impl Road {
    /// Distance from the reference line to the right edge of the paved surface.
    pub fn right_width(&self) -> f64 {
        f64::from(self.lanes_right) * self.lane_width + self.shoulder
    }
    /// Distance from the reference line to where roadside props and woodland start on
    /// the right (`side` < 0) or left side: the paved edge, and on the left of a one-way
    /// road at least the right side's width, so both verges line up.
    pub fn verge_offset(&self, side: f64) -> f64 {
        if side < 0.0 {
            self.right_width()
        } else {
            self.right_width().max(self.left_width())
        }
    }

    pub fn left_width(&self) -> f64 {
        if self.lanes_left == 0 {
            0.0
        } else {
            f64::from(self.lanes_left) * self.lane_width + self.shoulder
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LaneKind {
    Driving,
    /// A path through a junction.
    Connector(Turn),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    pub id: u32,
    pub kind: LaneKind,
    /// The road it belongs to (`None` for junction connectors).
    pub road: Option<u32>,
    pub junction: Option<u32>,
    /// 0 = rightmost lane of its direction.
    pub index: u8,
    pub width: f64,
    /// In the direction of travel.
    pub center: Polyline,
    pub length: f64,
    pub speed_limit: f64,
    pub successors: Vec<u32>,
    /// A ramp lane that ends by merging into another lane at arc length `s`.
    pub merges_into: Option<LaneLink>,
    /// Where vehicles stop for a signal or junction (arc length), with the signal.
    pub stop: Option<StopLine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneLink {
    pub lane: u32,
    pub s: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopLine {
    pub s: f64,
    pub junction: u32,
    /// Phase group of this approach when the junction is signalised.
    pub group: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum JunctionKind {
    Intersection { ways: u8 },
    Roundabout { radius: f64, island_radius: f64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Junction {
    pub id: u32,
    pub kind: JunctionKind,
    pub center: V2,
    /// The paved area no lane covers (the box, or the ring's disc).
    pub area: Vec<V2>,
    pub signal: Option<SignalTiming>,
}

/// A fixed-time two-phase signal: group 0 green, amber, all-red, then group 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalTiming {
    pub green: [f64; 2],
    pub amber: f64,
    pub all_red: f64,
    /// Seconds into the cycle at t = 0.
    pub offset: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LampState {
    Red,
    Amber,
    Green,
}

impl SignalTiming {
    pub fn cycle(&self) -> f64 {
        self.green[0] + self.green[1] + 2.0 * (self.amber + self.all_red)
    }

    /// The lamp shown to `group` at simulation time `t`.
    pub fn state(&self, group: u8, t: f64) -> LampState {
        let cycle = self.cycle();
        if cycle <= 0.0 {
            return LampState::Green;
        }
        let phase = (t + self.offset).rem_euclid(cycle);
        let start = if group == 0 {
            0.0
        } else {
            self.green[0] + self.amber + self.all_red
        };
        let g = self.green[usize::from(group.min(1))];
        let local = (phase - start).rem_euclid(cycle);
        if local < g {
            LampState::Green
        } else if local < g + self.amber {
            LampState::Amber
        } else {
            LampState::Red
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crosswalk {
    pub id: u32,
    pub junction: u32,
    /// Four corners, counter-clockwise.
    pub corners: [V2; 4],
    /// Unit direction pedestrians walk across the road.
    pub across: V2,
}

impl Crosswalk {
    /// The middle of the stripes.
    pub fn centre(&self) -> V2 {
        let [a, b, c, d] = self.corners;
        (a + b + c + d) * 0.25
    }

    /// How far the stripes reach from their centre along `dir` (a unit vector).
    pub fn reach(&self, dir: V2) -> f64 {
        let centre = self.centre();
        self.corners
            .iter()
            .map(|k| (*k - centre).dot(dir))
            .fold(0.0, f64::max)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WalkwayKind {
    Sidewalk,
    Corner,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Walkway {
    pub id: u32,
    pub kind: WalkwayKind,
    /// Along the walkway's length (for sidewalks).
    pub center: Polyline,
    pub width: f64,
    /// Closed outline, counter-clockwise.
    pub outline: Vec<V2>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarkingRole {
    Center,
    LaneDivider,
    Edge,
    StopLine,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Marking {
    pub role: MarkingRole,
    pub style: MarkingStyle,
    pub line: Polyline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignKind {
    Stop,
    Yield,
    SpeedLimit,
    NoEntry,
    Parking,
    BusStop,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum PropKind {
    Building,
    Tree,
    Pole,
    StreetLight,
    Sign(SignKind),
    TrafficLight {
        junction: u32,
        group: u8,
    },
    /// A litter bin at the kerb.
    Bin,
    /// A fire hydrant at the kerb.
    Hydrant,
    /// A bus shelter behind the sidewalk, open to the road (its stop sign is a
    /// [`SignKind::BusStop`] at the kerb beside it).
    BusShelter,
    /// A straight run of fence along the road: length along it, width its thickness.
    Fence(FenceStyle),
}

/// What a run of fence is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FenceStyle {
    /// Close wooden boards.
    Boards,
    /// Painted slats with gaps (a picket fence).
    Paling,
    /// Steel bars between two rails.
    Railing,
}

impl PropKind {
    /// Bins, hydrants, bus stops and fences: scattered at random, they make way for a
    /// named actor placed where one stands (the actor takes the spot, the piece goes).
    pub fn is_street_furniture(self) -> bool {
        matches!(
            self,
            PropKind::Bin
                | PropKind::Hydrant
                | PropKind::BusShelter
                | PropKind::Fence(_)
                | PropKind::Sign(SignKind::BusStop)
        )
    }
}

/// A static object with an instance id of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prop {
    pub id: u32,
    pub kind: PropKind,
    /// Centre of the footprint on the ground; yaw faces the front (signs, lights: the road).
    pub pose: Pose2,
    pub size: Size3,
    pub color: [u8; 3],
    /// Seed for cosmetic detail (window pattern, foliage).
    pub detail: u32,
}

/// One stand of woodland: a clump of crowns filling its footprint, up to its height.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeStand {
    /// Centre of the footprint; yaw runs along the road it lines.
    pub pose: Pose2,
    pub size: Size3,
    /// Leaf colour, sRGB.
    pub color: [u8; 3],
    /// Seed for the crowns' shape.
    pub detail: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Size3 {
    pub length: f64,
    pub width: f64,
    pub height: f64,
}

/// What an actor is, for rendering and labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorClass {
    Vehicle(VehicleClass),
    Pedestrian,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Ego,
    Traffic,
    Parked,
    Pedestrian,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Idm {
    pub time_headway: f64,
    pub min_gap: f64,
    pub max_accel: f64,
    pub comfortable_decel: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Behavior {
    Drive {
        desired_speed: f64,
        idm: Idm,
        lane_change_eagerness: f64,
    },
    Parked,
    Walk {
        speed: f64,
        /// Waypoints to follow, starting at the actor's pose.
        path: Polyline,
        /// The crosswalk this pedestrian will use, if any.
        crosses: Option<u32>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub id: u32,
    /// The scenario's name for an actor placed by name (events and relations refer to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: Role,
    pub class: ActorClass,
    pub size: Size3,
    pub color: [u8; 3],
    pub pose: Pose2,
    /// Lane and arc length at the start (vehicles on lanes).
    pub lane: Option<u32>,
    pub s: f64,
    /// Lanes to follow after `lane`, in order.
    pub route: Vec<u32>,
    pub behavior: Behavior,
}

impl Actor {
    pub fn footprint(&self) -> Obb {
        Obb {
            center: self.pose.pos(),
            yaw: self.pose.yaw,
            half_length: self.size.length / 2.0,
            half_width: self.size.width / 2.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentPlan {
    pub time_of_day: f64,
    pub sun_elevation_deg: f64,
    pub sun_azimuth_deg: f64,
    pub cloudiness: f64,
    pub rain: f64,
    pub fog_density: f64,
    pub wet_road: bool,
    pub street_lights_on: bool,
    /// Sky/ambient brightness 0..1 from sun elevation and clouds.
    pub ambient: f64,
}

impl EnvironmentPlan {
    /// Whether vehicles drive with their lights on (the ego's headlight, every vehicle's
    /// tail lamps): as the daylight goes, whatever the street lights do. A country road at
    /// night has no street lights, and its cars still light their way.
    pub fn vehicle_lights_on(&self) -> bool {
        self.sun_elevation_deg < crate::scene::STREET_LIGHTS_BELOW_SUN_DEG
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensorRig {
    pub cameras: Vec<CameraPlan>,
    pub lidar: Option<LidarSpec>,
}

/// A pinhole camera on the ego with its intrinsics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CameraPlan {
    pub name: String,
    pub mount: Mount,
    pub width: u32,
    pub height: u32,
    pub hfov_deg: f64,
    pub vfov_deg: f64,
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
    pub rate: f64,
    /// The sensor model drawn for this variant; absent for an ideal camera (and then
    /// absent from the serialized plan, so plans without one are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<SensorPlan>,
}

/// A camera's lens and image pipeline, drawn from the `camera-sensor` stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensorPlan {
    /// Brown–Conrady coefficients in OpenCV order (k1, k2, p1, p2, k3); absent for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distortion: Option<[f64; 5]>,
    /// Exposure compensation (stops).
    pub exposure_ev: f64,
    /// White-balance gains (red, green, blue).
    pub white_balance: [f64; 3],
    /// Share of light lost in the corners.
    pub vignetting: f64,
    /// 0 for no noise.
    pub iso: f64,
    /// Electrons at ISO 100.
    pub read_noise: f64,
    /// Red outwards and blue inwards of green in the farthest corner (pixels).
    #[serde(default)]
    pub chromatic_aberration: f64,
    /// Gaussian blur sigma (pixels).
    #[serde(default)]
    pub defocus: f64,
    /// Mean linear level auto-exposure aims for; 0 for off.
    #[serde(default)]
    pub auto_exposure: f64,
    /// Seconds the shutter is open (motion blur); 0 for none.
    #[serde(default)]
    pub exposure_time: f64,
    /// JPEG quality of the delivered RGB (1-100); 0 for none.
    #[serde(default)]
    pub jpeg_quality: f64,
    /// Colour saturation of the delivered image (1 unchanged, 0 grey), in linear light
    /// around each pixel's luma.
    #[serde(default = "unity")]
    pub saturation: f64,
    /// Contrast of the delivered image around mid-grey in display (sRGB) values: below 1
    /// lifts the blacks and dims the whites, as a camera's tone curve and veiling glare do.
    #[serde(default = "unity")]
    pub contrast: f64,
    /// Share of highlight light scattered into a halo (bloom); 0 for none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub glare: f64,
    /// Gaussian blur sigma (pixels) of the chroma channels only (demosaicing and chroma
    /// noise reduction); 0 for none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chroma_blur: f64,
    /// Keys the per-frame noise with the frame index and camera: noise depends only on
    /// (scenario seed, variant, camera, frame).
    pub noise_seed: u64,
}

impl SensorPlan {
    /// A sensor that changes nothing: no lens, unit gains, no noise or blur, keyed by
    /// `noise_seed` (the base that tools and tests set single fields on).
    pub fn neutral(noise_seed: u64) -> SensorPlan {
        SensorPlan {
            distortion: None,
            exposure_ev: 0.0,
            white_balance: [1.0, 1.0, 1.0],
            vignetting: 0.0,
            iso: 0.0,
            read_noise: 0.0,
            chromatic_aberration: 0.0,
            defocus: 0.0,
            auto_exposure: 0.0,
            exposure_time: 0.0,
            jpeg_quality: 0.0,
            saturation: 1.0,
            contrast: 1.0,
            glare: 0.0,
            chroma_blur: 0.0,
            noise_seed,
        }
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn unity() -> f64 {
    1.0
}

/// When sensors fire. Times are multiples of the simulation step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaptureSchedule {
    /// Simulation steps per second.
    pub sim_rate: f64,
    pub ticks: Vec<CaptureTick>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaptureTick {
    pub frame: u32,
    pub step: u64,
    pub time: f64,
    /// Indices into `SensorRig::cameras` that capture on this tick.
    pub cameras: Vec<u8>,
}
