//! libvwo: the core of the VWO FullStack server-side SDK.
#![deny(unsafe_code)]

pub mod error;
pub mod segmentation;
pub mod settings;

pub use error::{Error, ErrorKind};
pub use settings::Id;
