//! Segmentation: the pre-segmentation and whitelisting DSL, compiled once at settings load and evaluated
//! with the semantics of vwo-python-sdk 1.68.2 (spec §5, `POLICY.md` §1).
//!
//! A DSL node is an object whose *first* key picks the operator: `and` / `or` (arrays, `all()` / `any()`
//! left to right with short-circuit), `not`, `custom_variable`, `user`; any other key is Python's `None`
//! (false, and `not` of it is true).
//!
//! Python accepts any JSON at launch and raises while evaluating malformed parts; the SDK then catches
//! the exception and the whole segment evaluates to false. libvwo compiles such parts into nodes that
//! "raise" when (and only when) evaluation reaches them, so the short-circuit order decides, as in
//! Python. The shapes Python reads (where `get_key_value(x)` is `k = next(iter(x)); return k, x[k]`):
//! * an object: its first key and value; an empty object raises;
//! * an array: its first element must be an int index into the array (`[0]`, `[1, "x"]`, `[true, 3]`),
//!   giving an int key (never an operator, never a variable name); anything else raises;
//! * a string, number, bool or null raises;
//! * `and`/`or` iterate their value: an array's elements, an object's keys or a string's characters
//!   (each of which raises when evaluated), so `{"and": {}}` and `{"and": ""}` are true.
//!
//! See `leaf.rs` for the `custom_variable` and `user` leaves.

mod leaf;
mod pynum;
mod pyregex;
mod pystr;

use serde_json::{Map, Value};

use crate::Error;

use leaf::{CustomVariable, User};

/// The variable that carries the user id for `user` leaves (whitelisting).
pub const USER_ID_KEY: &str = "_vwo_user_id";

/// The deepest DSL `compile` accepts (JSON nesting levels, objects and arrays alike).
pub const MAX_DEPTH: usize = 100;

/// A Python exception reached during evaluation: the whole segment is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raise;

/// A pre-segmentation or whitelisting DSL, compiled once at settings load.
#[derive(Debug, Clone)]
pub struct Segment {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    CustomVariable(Box<CustomVariable>),
    User(User),
    /// An unknown operator: Python's `None`.
    Unknown,
    /// Evaluating this node raises.
    Raise,
}

impl Segment {
    /// Compiles a DSL JSON value. `path` is the JSON path of `dsl` for error messages, e.g.
    /// `campaigns[2].segments` or `campaigns[0].variations[1].segments`.
    ///
    /// Returns `Ok(None)` for "no segmentation": any value Python finds falsy (`{}`, `null`, `[]`, `""`,
    /// `0`, `false`), which the SDK skips without evaluating. Malformed DSLs compile (Python accepts them)
    /// and evaluate to false where evaluation reaches the malformed part. The only error is a DSL nested
    /// deeper than [`MAX_DEPTH`] levels.
    pub fn compile(dsl: &Value, path: &str) -> Result<Option<Segment>, Error> {
        if is_falsy(dsl) {
            return Ok(None);
        }
        if exceeds_depth(dsl, MAX_DEPTH) {
            return Err(Error::settings(
                path,
                format!("segment DSL nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(Some(Segment {
            root: compile_node(dsl),
        }))
    }

    /// Evaluates against `variables` (custom variables for pre-segmentation, variation-targeting
    /// variables for whitelisting). `user_id` is what `user` operands compare against; when `None`, the
    /// string value of `variables["_vwo_user_id"]` is used if present, else a `user` leaf is false.
    pub fn evaluate(&self, variables: &Map<String, Value>, user_id: Option<&str>) -> bool {
        self.root.evaluate(variables, user_id).unwrap_or(false)
    }
}

/// Compiles and evaluates `dsl` as Python's segment evaluator does when handed it directly: a DSL that
/// fails to compile, and an empty/falsy DSL (on which Python's evaluator raises), evaluate to false.
pub fn evaluate_dsl(dsl: &Value, variables: &Map<String, Value>, user_id: Option<&str>) -> bool {
    match Segment::compile(dsl, "segments") {
        Ok(Some(segment)) => segment.evaluate(variables, user_id),
        Ok(None) | Err(_) => false,
    }
}

/// Python truthiness of a JSON value.
fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Whether `v` nests objects/arrays deeper than `max` levels; iterative, stops at the first too-deep one.
fn exceeds_depth(v: &Value, max: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 1)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(o) => Box::new(o.values()),
            _ => continue,
        };
        if depth > max {
            return true;
        }
        for child in children {
            if matches!(child, Value::Array(_) | Value::Object(_)) {
                stack.push((child, depth + 1));
            }
        }
    }
    false
}

/// The key Python's `get_key_value` reads from a node.
enum Key<'a> {
    Str(&'a str),
    /// An int index read from an array.
    Int,
}

/// Python's `k = next(iter(x)); return k, x[k]`, or `None` where it raises.
fn key_value(v: &Value) -> Option<(Key<'_>, &Value)> {
    match v {
        Value::Object(o) => o.iter().next().map(|(k, v)| (Key::Str(k.as_str()), v)),
        Value::Array(a) => {
            let index = match a.first()? {
                Value::Bool(b) => i64::from(*b),
                Value::Number(n) => n.as_i64()?,
                _ => return None,
            };
            let len = i64::try_from(a.len()).ok()?;
            let i = if index < 0 { index + len } else { index };
            let i = usize::try_from(i).ok()?;
            a.get(i).map(|v| (Key::Int, v))
        }
        _ => None,
    }
}

fn compile_node(v: &Value) -> Node {
    let Some((key, value)) = key_value(v) else {
        return Node::Raise;
    };
    let Key::Str(op) = key else {
        return Node::Unknown;
    };
    match op {
        "and" => Node::And(compile_children(value)),
        "or" => Node::Or(compile_children(value)),
        "not" => Node::Not(Box::new(compile_node(value))),
        "custom_variable" => match key_value(value) {
            Some((Key::Str(name), operand)) => {
                Node::CustomVariable(Box::new(CustomVariable::compile(Some(name), operand)))
            }
            Some((Key::Int, operand)) => {
                Node::CustomVariable(Box::new(CustomVariable::compile(None, operand)))
            }
            None => Node::Raise,
        },
        "user" => Node::User(User::compile(value)),
        _ => Node::Unknown,
    }
}

/// What `all()`/`any()` iterate over for an `and`/`or` value.
fn compile_children(v: &Value) -> Vec<Node> {
    match v {
        Value::Array(items) => items.iter().map(compile_node).collect(),
        // An object's keys and a string's characters are strings: evaluating the first one raises.
        Value::Object(o) if o.is_empty() => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        _ => vec![Node::Raise],
    }
}

impl Node {
    fn evaluate(
        &self,
        variables: &Map<String, Value>,
        user_id: Option<&str>,
    ) -> Result<bool, Raise> {
        match self {
            Node::And(children) => {
                for child in children {
                    if !child.evaluate(variables, user_id)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Or(children) => {
                for child in children {
                    if child.evaluate(variables, user_id)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Node::Not(child) => Ok(!child.evaluate(variables, user_id)?),
            Node::CustomVariable(leaf) => leaf.evaluate(variables),
            Node::User(leaf) => leaf.evaluate(variables, user_id),
            Node::Unknown => Ok(false),
            Node::Raise => Err(Raise),
        }
    }
}

#[cfg(test)]
mod tests;
