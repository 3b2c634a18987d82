//! Semantic classes: the official Cityscapes label table and the engine's classes.
//!
//! One place maps every engine class to its Cityscapes id (and, as exporters land, to
//! KITTI types, COCO categories and YOLO indices).

use drivegen_plan::ActorClass;
use drivegen_scenario::VehicleClass;
use serde::{Deserialize, Serialize};

/// A row of the Cityscapes label table (cityscapesScripts `labels.py`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CityscapesLabel {
    pub name: &'static str,
    pub id: u8,
    /// 255 = ignored in training.
    pub train_id: u8,
    pub category: &'static str,
    pub has_instances: bool,
    pub color: [u8; 3],
}

const fn row(
    name: &'static str,
    id: u8,
    train_id: u8,
    category: &'static str,
    has_instances: bool,
    color: [u8; 3],
) -> CityscapesLabel {
    CityscapesLabel {
        name,
        id,
        train_id,
        category,
        has_instances,
        color,
    }
}

/// Cityscapes label ids 0..=33, in id order.
pub const CITYSCAPES: [CityscapesLabel; 34] = [
    row("unlabeled", 0, 255, "void", false, [0, 0, 0]),
    row("ego vehicle", 1, 255, "void", false, [0, 0, 0]),
    row("rectification border", 2, 255, "void", false, [0, 0, 0]),
    row("out of roi", 3, 255, "void", false, [0, 0, 0]),
    row("static", 4, 255, "void", false, [0, 0, 0]),
    row("dynamic", 5, 255, "void", false, [111, 74, 0]),
    row("ground", 6, 255, "void", false, [81, 0, 81]),
    row("road", 7, 0, "flat", false, [128, 64, 128]),
    row("sidewalk", 8, 1, "flat", false, [244, 35, 232]),
    row("parking", 9, 255, "flat", false, [250, 170, 160]),
    row("rail track", 10, 255, "flat", false, [230, 150, 140]),
    row("building", 11, 2, "construction", false, [70, 70, 70]),
    row("wall", 12, 3, "construction", false, [102, 102, 156]),
    row("fence", 13, 4, "construction", false, [190, 153, 153]),
    row(
        "guard rail",
        14,
        255,
        "construction",
        false,
        [180, 165, 180],
    ),
    row("bridge", 15, 255, "construction", false, [150, 100, 100]),
    row("tunnel", 16, 255, "construction", false, [150, 120, 90]),
    row("pole", 17, 5, "object", false, [153, 153, 153]),
    row("polegroup", 18, 255, "object", false, [153, 153, 153]),
    row("traffic light", 19, 6, "object", false, [250, 170, 30]),
    row("traffic sign", 20, 7, "object", false, [220, 220, 0]),
    row("vegetation", 21, 8, "nature", false, [107, 142, 35]),
    row("terrain", 22, 9, "nature", false, [152, 251, 152]),
    row("sky", 23, 10, "sky", false, [70, 130, 180]),
    row("person", 24, 11, "human", true, [220, 20, 60]),
    row("rider", 25, 12, "human", true, [255, 0, 0]),
    row("car", 26, 13, "vehicle", true, [0, 0, 142]),
    row("truck", 27, 14, "vehicle", true, [0, 0, 70]),
    row("bus", 28, 15, "vehicle", true, [0, 60, 100]),
    row("caravan", 29, 255, "vehicle", true, [0, 0, 90]),
    row("trailer", 30, 255, "vehicle", true, [0, 0, 110]),
    row("train", 31, 16, "vehicle", true, [0, 80, 100]),
    row("motorcycle", 32, 17, "vehicle", true, [0, 0, 230]),
    row("bicycle", 33, 18, "vehicle", true, [119, 11, 32]),
];

/// Detection categories in id order (see [`Class::detection_category`]).
pub const DETECTION_CATEGORIES: [&str; 9] = [
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "motorcycle",
    "bicycle",
    "traffic_light",
    "traffic_sign",
];

/// What a drawn surface or object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Class {
    Sky,
    Road,
    Sidewalk,
    Terrain,
    Building,
    Vegetation,
    Pole,
    TrafficLight,
    TrafficSign,
    /// Steel barriers along fast roads without sidewalks.
    GuardRail,
    /// Fences behind sidewalks and verges.
    Fence,
    /// Litter bins and fire hydrants (Cityscapes files them under `static`).
    StreetFurniture,
    EgoVehicle,
    Vehicle(VehicleClass),
    Rider,
    Person,
}

impl Class {
    /// Every class, for tables and round trips.
    pub fn all() -> Vec<Class> {
        let mut v = vec![
            Class::Sky,
            Class::Road,
            Class::Sidewalk,
            Class::Terrain,
            Class::Building,
            Class::Vegetation,
            Class::Pole,
            Class::TrafficLight,
            Class::TrafficSign,
            Class::GuardRail,
            Class::Fence,
            Class::StreetFurniture,
            Class::EgoVehicle,
            Class::Rider,
            Class::Person,
        ];
        v.extend(VehicleClass::ALL.iter().map(|c| Class::Vehicle(*c)));
        v
    }

    /// The class whose [`Class::name`] is `name`.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::all().into_iter().find(|c| c.name() == name)
    }

    pub fn from_actor(class: ActorClass) -> Class {
        match class {
            ActorClass::Vehicle(v) => Class::Vehicle(v),
            ActorClass::Pedestrian => Class::Person,
        }
    }

    /// The Cityscapes label id.
    pub fn cityscapes_id(self) -> u8 {
        match self {
            Class::Sky => 23,
            Class::Road => 7,
            Class::Sidewalk => 8,
            Class::Terrain => 22,
            Class::Building => 11,
            Class::Vegetation => 21,
            Class::Pole => 17,
            Class::TrafficLight => 19,
            Class::TrafficSign => 20,
            Class::GuardRail => 14,
            Class::Fence => 13,
            Class::StreetFurniture => 4,
            Class::EgoVehicle => 1,
            // Cityscapes counts SUVs and vans as cars.
            Class::Vehicle(VehicleClass::Car | VehicleClass::Suv | VehicleClass::Van) => 26,
            Class::Vehicle(VehicleClass::Truck) => 27,
            Class::Vehicle(VehicleClass::Bus) => 28,
            Class::Vehicle(VehicleClass::Motorcycle) => 32,
            Class::Vehicle(VehicleClass::Bicycle) => 33,
            Class::Rider => 25,
            Class::Person => 24,
        }
    }

    pub fn cityscapes(self) -> &'static CityscapesLabel {
        &CITYSCAPES[usize::from(self.cityscapes_id())]
    }

    /// Things (countable objects with instances) as opposed to stuff (road, sky).
    pub fn is_thing(self) -> bool {
        self.cityscapes().has_instances
    }

    /// KITTI object type (`DontCare` for stuff and classes KITTI does not annotate).
    pub fn kitti_type(self) -> &'static str {
        match self {
            Class::Vehicle(VehicleClass::Car | VehicleClass::Suv) => "Car",
            Class::Vehicle(VehicleClass::Van) => "Van",
            Class::Vehicle(VehicleClass::Truck) => "Truck",
            // KITTI has no bus class; its devkit files buses under Misc.
            Class::Vehicle(VehicleClass::Bus) => "Misc",
            // The rider is the Cyclist; the two-wheeler itself is not a KITTI object.
            Class::Vehicle(VehicleClass::Motorcycle | VehicleClass::Bicycle) => "Misc",
            Class::Rider => "Cyclist",
            Class::Person => "Pedestrian",
            _ => "DontCare",
        }
    }

    /// The detection category (COCO-style id, 1-based) for things and signals, `None`
    /// for stuff. YOLO uses `id - 1`.
    pub fn detection_category(self) -> Option<(u32, &'static str)> {
        let (id, name) = match self {
            Class::Person => (1, "person"),
            Class::Rider => (2, "rider"),
            Class::Vehicle(VehicleClass::Car | VehicleClass::Suv | VehicleClass::Van) => (3, "car"),
            Class::Vehicle(VehicleClass::Truck) => (4, "truck"),
            Class::Vehicle(VehicleClass::Bus) => (5, "bus"),
            Class::Vehicle(VehicleClass::Motorcycle) => (6, "motorcycle"),
            Class::Vehicle(VehicleClass::Bicycle) => (7, "bicycle"),
            Class::TrafficLight => (8, "traffic_light"),
            Class::TrafficSign => (9, "traffic_sign"),
            _ => return None,
        };
        Some((id, name))
    }

    /// A stable lower-case name for files and JSON.
    pub fn name(self) -> String {
        match self {
            Class::Vehicle(v) => format!("{v:?}").to_lowercase(),
            Class::EgoVehicle => "ego_vehicle".into(),
            Class::TrafficLight => "traffic_light".into(),
            Class::TrafficSign => "traffic_sign".into(),
            Class::GuardRail => "guard_rail".into(),
            Class::StreetFurniture => "street_furniture".into(),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_id_order_and_names_round_trip() {
        for (i, row) in CITYSCAPES.iter().enumerate() {
            assert_eq!(usize::from(row.id), i);
        }
        for c in Class::all() {
            assert_eq!(Class::from_name(&c.name()), Some(c));
            assert_eq!(c.cityscapes().id, c.cityscapes_id());
            if let Some((id, name)) = c.detection_category() {
                assert_eq!(DETECTION_CATEGORIES[id as usize - 1], name);
            }
        }
    }
}
