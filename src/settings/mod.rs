//! The settings file: the serde model of the wire JSON, its validation with JSON-path messages, and the
//! compiled, immutable `Settings` the decisions read.

mod id;

pub use id::Id;
