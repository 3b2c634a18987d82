//! Typed errors of the refiner crate: every one names the file it is about and, where the
//! user can do something, says what.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RefineError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot decode the image: {source}", path.display())]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error("{}: no images found\n  hint: {hint}", dir.display())]
    NoImages { dir: PathBuf, hint: String },
    #[error("{}: the frame is {width}x{height}, smaller than the {patch}x{patch} patch", path.display())]
    TooSmall {
        path: PathBuf,
        width: u32,
        height: u32,
        patch: u32,
    },
    #[error("{}: {reason}\n  hint: {hint}", path.display())]
    Checkpoint {
        path: PathBuf,
        reason: String,
        hint: String,
    },
    #[error("{0}")]
    Invalid(String),
}

impl RefineError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RefineError {
        let path = path.into();
        move |source| RefineError::Io { path, source }
    }

    pub fn checkpoint(
        path: impl Into<PathBuf>,
        reason: impl Into<String>,
        hint: impl Into<String>,
    ) -> RefineError {
        RefineError::Checkpoint {
            path: path.into(),
            reason: reason.into(),
            hint: hint.into(),
        }
    }
}
