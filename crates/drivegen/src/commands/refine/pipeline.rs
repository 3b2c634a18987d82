//! The refiners `render --refine` runs on every camera frame: a checkpoint, or a class
//! look graded through the frame's semantic labels.

use std::path::Path;

use drivegen_refine::RefineError;
use drivegen_refine::class_look::ClassLook;
use drivegen_refine::compute::LoadedCheckpoint;
use drivegen_refine::reach::Reach;

use super::{input, resolve_checkpoint};

/// A loaded checkpoint as the render pipeline's refiner.
#[derive(Debug)]
pub struct CheckpointRefiner {
    loaded: LoadedCheckpoint,
    sha256: String,
    reach: Reach,
}

impl CheckpointRefiner {
    /// Loads a checkpoint (a folder or a shipped name) to refine rendered frames.
    pub fn load(ckpt: &Path, backend: &str, reach: Reach) -> anyhow::Result<CheckpointRefiner> {
        let (source, compute) = resolve_checkpoint(ckpt, backend)?;
        let loaded = LoadedCheckpoint::load(&source, compute, false).map_err(input)?;
        Ok(CheckpointRefiner {
            // Resolved here so that run.json names the classes `covered` came to.
            reach: loaded.reach(reach),
            sha256: source.sha256().map_err(input)?,
            loaded,
        })
    }
}

impl drivegen_render::FrameRefiner for CheckpointRefiner {
    fn refine(
        &self,
        job: &drivegen_dataset::FrameJob,
        environment: &drivegen_plan::EnvironmentPlan,
    ) -> Result<Option<Vec<u8>>, String> {
        refine_rgba(&self.loaded, self.reach, job, environment).map_err(|e| e.to_string())
    }
    fn sha256(&self) -> Option<String> {
        Some(self.sha256.clone())
    }
    fn reach(&self) -> Option<String> {
        Some(self.reach.to_string())
    }
}

/// A class look (`drivegen fit-look`) as the render pipeline's refiner.
#[derive(Debug)]
pub struct LookRefiner {
    look: ClassLook,
    sha256: String,
}

impl drivegen_render::FrameRefiner for LookRefiner {
    fn refine(
        &self,
        job: &drivegen_dataset::FrameJob,
        _environment: &drivegen_plan::EnvironmentPlan,
    ) -> Result<Option<Vec<u8>>, String> {
        let semantic = drivegen_dataset::semantic_of(&job.ids, &job.semantic_lut);
        let (Some(rgb), Some(semantic)) = (
            job_rgb(job),
            image::GrayImage::from_raw(job.width, job.height, semantic),
        ) else {
            return Ok(None);
        };
        let graded = self
            .look
            .apply(&rgb, &semantic)
            .map_err(|e| e.to_string())?;
        Ok(Some(graded.into_raw()))
    }
    fn sha256(&self) -> Option<String> {
        Some(self.sha256.clone())
    }
}

/// Whether `path` names a class look file rather than a checkpoint folder or a shipped
/// refiner.
pub(super) fn is_look(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e == "json")
}

/// The refiner `--refine PATH` names: a class look file (`look.json`), a checkpoint
/// folder or a shipped refiner.
pub fn frame_refiner(
    path: &Path,
    backend: &str,
    reach: Reach,
) -> anyhow::Result<Box<dyn drivegen_render::FrameRefiner>> {
    if is_look(path) {
        let (look, sha256) = ClassLook::load(path).map_err(input)?;
        return Ok(Box::new(LookRefiner { look, sha256 }));
    }
    Ok(Box::new(CheckpointRefiner::load(path, backend, reach)?))
}

/// The RGB image of a camera frame job, when it has one.
fn job_rgb(job: &drivegen_dataset::FrameJob) -> Option<image::RgbImage> {
    let rgb: Vec<u8> = job
        .rgba
        .as_ref()?
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    image::RgbImage::from_raw(job.width, job.height, rgb)
}

/// The refined RGB of a camera frame job within `reach`, when it has an RGB image. The
/// job's instance ids give the semantic image a conditioned refiner and the reach need.
fn refine_rgba(
    refiner: &LoadedCheckpoint,
    reach: Reach,
    job: &drivegen_dataset::FrameJob,
    environment: &drivegen_plan::EnvironmentPlan,
) -> Result<Option<Vec<u8>>, RefineError> {
    let Some(image) = job_rgb(job) else {
        return Ok(None);
    };
    let layout = refiner.layout();
    let frame = drivegen_refine::data::Frame {
        path: job.dir.join("rgb").join(format!("{:06}.png", job.frame)),
        rgb: image,
        instance: None,
        semantic: (layout.semantic || reach.needs_semantic())
            .then(|| drivegen_dataset::semantic_of(&job.ids, &job.semantic_lut)),
        depth: layout.depth.then(|| job.depth.clone()),
        environment: Some(environment.clone()),
    };
    Ok(Some(refiner.refine_within(&frame, reach)?.into_raw()))
}
