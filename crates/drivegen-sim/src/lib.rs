//! Headless simulation engine (work in progress): builds a Bevy world from a `ScenePlan`.
