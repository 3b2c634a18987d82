//! The one way a test deals with a missing prerequisite (a Vulkan adapter, Chromium,
//! pycocotools, the shared real-road data): skip it with a message on a developer's
//! machine, fail it under CI, where a skipped check would pass silently.
//!
//! Included by `tests/common/mod.rs`; a test file that does not use the other helpers
//! can include it alone: `#[path = "common/prerequisite.rs"] mod prerequisite;`.
#![allow(dead_code)]

/// Whether the environment says this is a CI run (`CI=true`, as GitHub Actions, GitLab
/// CI and most others set it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Returns `available`. When `name` is missing, panics with `hint` under CI; elsewhere
/// prints why the check is skipped (visible with `--nocapture`) and returns false.
///
/// ```ignore
/// if !prerequisite("a Vulkan adapter", vulkan_available(), "install mesa-vulkan-drivers") {
///     return;
/// }
/// ```
pub fn prerequisite(name: &str, available: bool, hint: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{name} is missing, and CI=true makes that a failure\n  = hint: {hint}");
    }
    eprintln!("skipped: {name} is missing (CI=true would fail here)\n  = hint: {hint}");
    false
}
