//! TEMPORARY interface placeholder (replaced by the real module from branch `seg` before merge).
#![allow(dead_code, unused_variables)]
use crate::Error;
use serde_json::{Map, Value};
#[derive(Debug, Clone)]
pub struct Segment(Value);
impl Segment {
    pub fn compile(dsl: &Value, path: &str) -> Result<Option<Segment>, Error> {
        match dsl {
            Value::Null => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(None),
            _ => Ok(Some(Segment(dsl.clone()))),
        }
    }
    pub fn evaluate(&self, variables: &Map<String, Value>, user_id: Option<&str>) -> bool {
        false
    }
}
