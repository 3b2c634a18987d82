//! Evaluates a scenario's `keep_frames_where` on one capture: its cameras' object labels
//! and the events active at it. Pure and Bevy-free, so the render library's decision
//! to write or reject a frame is tested here on hand-made labels.

use std::collections::BTreeSet;

use drivegen_scenario::filter::FrameCondition;

use crate::objects::ObjectLabel;

/// What a capture offers the conditions.
#[derive(Clone, Copy, Debug)]
pub struct Capture<'a> {
    /// Each camera's name and object labels.
    pub cameras: &'a [(&'a str, &'a [ObjectLabel])],
    /// Names of the scenario events active at the capture.
    pub events: &'a [String],
}

/// Whether every condition holds for the capture (an empty list keeps every frame).
pub fn keep(conditions: &[FrameCondition], capture: &Capture<'_>) -> bool {
    conditions.iter().all(|c| holds(c, capture))
}

/// Whether one condition holds for the capture.
pub fn holds(condition: &FrameCondition, capture: &Capture<'_>) -> bool {
    match condition {
        FrameCondition::Visible {
            class,
            at_least,
            at_most,
            visibility,
            distance,
            camera,
        } => {
            let within = |range: &Option<(f64, f64)>, v: f64| {
                range.is_none_or(|(lo, hi)| (lo..=hi).contains(&v))
            };
            // An object seen by two cameras counts once.
            let ids: BTreeSet<u32> = capture
                .cameras
                .iter()
                .filter(|(name, _)| camera.as_ref().is_none_or(|c| c == name))
                .flat_map(|(_, labels)| labels.iter())
                .filter(|l| {
                    l.visible
                        && class.matches(&l.class)
                        && within(visibility, l.visibility)
                        && within(distance, l.distance)
                })
                .map(|l| l.id)
                .collect();
            let n = ids.len() as u64;
            n >= u64::from(*at_least) && at_most.is_none_or(|most| n <= u64::from(most))
        }
        FrameCondition::EventActive(name) => capture.events.iter().any(|e| e == name),
        FrameCondition::Any(list) => list.iter().any(|c| holds(c, capture)),
        FrameCondition::Not(inner) => !holds(inner, capture),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::Box3d;
    use drivegen_scenario::filter::ObjectClass;

    fn label(id: u32, class: &str, visibility: f64, distance: f64) -> ObjectLabel {
        ObjectLabel {
            id,
            class: class.into(),
            cityscapes_id: 0,
            tight_box: (visibility > 0.0).then_some([0.0, 0.0, 1.0, 1.0]),
            amodal_box: [0.0, 0.0, 1.0, 1.0],
            visible_pixels: if visibility > 0.0 { 10 } else { 0 },
            unoccluded_pixels: 10,
            visibility,
            truncation: 0.0,
            occlusion: 0,
            box3d: Box3d {
                h: 1.0,
                w: 1.0,
                l: 1.0,
                x: 0.0,
                y: 0.0,
                z: distance,
                rotation_y: 0.0,
            },
            alpha: 0.0,
            speed: 0.0,
            distance,
            visible: visibility > 0.0,
        }
    }

    fn visible(
        class: ObjectClass,
        at_least: u32,
        at_most: Option<u32>,
        visibility: Option<(f64, f64)>,
        distance: Option<(f64, f64)>,
    ) -> FrameCondition {
        FrameCondition::Visible {
            class,
            at_least,
            at_most,
            visibility,
            distance,
            camera: None,
        }
    }

    #[test]
    fn visible_counts_objects_in_range_once_across_cameras() {
        let front = [
            label(2100, "person", 0.45, 25.0),
            label(2101, "person", 0.9, 20.0),
            label(2102, "person", 0.5, 70.0),
            label(2103, "person", 0.0, 10.0),
            label(100, "car", 1.0, 12.0),
        ];
        // The same pedestrian half seen by a second camera.
        let side = [
            label(2100, "person", 0.4, 24.0),
            label(101, "suv", 0.3, 8.0),
        ];
        let cameras = [("front", &front[..]), ("side", &side[..])];
        let events = Vec::new();
        let capture = Capture {
            cameras: &cameras,
            events: &events,
        };
        let ped = |at_least, at_most| {
            visible(
                ObjectClass::Pedestrian,
                at_least,
                at_most,
                Some((0.3, 0.6)),
                Some((0.0, 40.0)),
            )
        };
        assert!(holds(&ped(1, Some(1)), &capture), "2100 counts once");
        assert!(
            !holds(&ped(2, None), &capture),
            "2101 too visible, 2102 too far"
        );
        assert!(holds(
            &visible(ObjectClass::Pedestrian, 3, None, None, None),
            &capture
        ));
        assert!(
            !holds(
                &visible(ObjectClass::Pedestrian, 4, None, None, None),
                &capture
            ),
            "a hidden pedestrian is not visible"
        );
        assert!(holds(
            &visible(ObjectClass::Vehicle, 2, Some(2), None, None),
            &capture
        ));
        assert!(!holds(
            &visible(ObjectClass::Bus, 1, None, None, None),
            &capture
        ));
        assert!(holds(
            &visible(ObjectClass::Bus, 0, Some(0), None, None),
            &capture
        ));
        let only_front = FrameCondition::Visible {
            class: ObjectClass::Suv,
            at_least: 1,
            at_most: None,
            visibility: None,
            distance: None,
            camera: Some("front".into()),
        };
        assert!(
            !holds(&only_front, &capture),
            "the SUV is seen only from the side"
        );
    }

    #[test]
    fn all_any_not_and_events_combine() {
        let front = [label(100, "car", 1.0, 12.0)];
        let cameras = [("front", &front[..])];
        let events = vec!["cut_in".to_string()];
        let capture = Capture {
            cameras: &cameras,
            events: &events,
        };
        let car = visible(ObjectClass::Car, 1, None, None, None);
        let bus = visible(ObjectClass::Bus, 1, None, None, None);
        let cut_in = FrameCondition::EventActive("cut_in".into());
        let brake = FrameCondition::EventActive("brake".into());
        assert!(keep(&[], &capture));
        assert!(keep(&[car.clone(), cut_in.clone()], &capture));
        assert!(!keep(&[car.clone(), brake.clone()], &capture));
        assert!(keep(
            &[FrameCondition::Any(vec![bus.clone(), cut_in])],
            &capture
        ));
        assert!(!keep(
            &[FrameCondition::Any(vec![bus.clone(), brake])],
            &capture
        ));
        assert!(keep(&[FrameCondition::Not(Box::new(bus))], &capture));
        assert!(!keep(&[FrameCondition::Not(Box::new(car))], &capture));
    }
}
