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
//!
//! One tree serves both generations. The FME generation ([`Dialect::Fme`], vwo-fme-python-sdk 1.65.0,
//! `FME_SPEC.md` §5) compiles the same `and`/`or`/`not`/`user` nodes with three differences: its
//! `custom_variable` operands follow `fme.rs`, `user` compares with `_vwoUserId`, and the leaves that
//! read the request context (`ua`, `ip_address`, location and user-agent groups, `featureId`,
//! `campaignVariation`) exist.

mod fme;
mod leaf;
mod pynum;
mod pyregex;
mod pystr;

use serde_json::{Map, Value};

use crate::Error;

use leaf::{CustomVariable, User};

pub(crate) use fme::FmeContext;

/// The variable that carries the user id for `user` leaves (whitelisting).
pub const USER_ID_KEY: &str = "_vwo_user_id";
/// The variable that carries the user id (or visitor UUID) for FME `user` leaves.
pub(crate) const FME_USER_ID_KEY: &str = "_vwoUserId";

/// Which generation's DSL a segment is compiled as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// VWO FullStack, vwo-python-sdk 1.68.2 (spec §5).
    V1,
    /// VWO FME, vwo-fme-python-sdk 1.65.0 (`FME_SPEC.md` §5).
    Fme,
}

/// The deepest DSL `compile` accepts (JSON nesting levels, objects and arrays alike).
pub const MAX_DEPTH: usize = 100;

/// A Python exception reached during evaluation: the whole segment is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raise;

/// A pre-segmentation or whitelisting DSL, compiled once at settings load.
#[derive(Debug, Clone)]
pub struct Segment {
    root: Node,
    /// FME: the DSL has a `campaignVariation` node somewhere, so the whole segment is false unless the
    /// context carries web-testing campaigns.
    needs_web_testing: bool,
}

/// The variables map a segment reads, with at most one key overlaid: FME's decision adds
/// `_vwoUserId` per rule (§4.6 step 2) without copying the caller's map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Variables<'a> {
    map: &'a Map<String, Value>,
    overlay: Option<(&'a str, &'a Value)>,
}

impl<'a> Variables<'a> {
    /// `map` as it is.
    pub(crate) fn of(map: &'a Map<String, Value>) -> Variables<'a> {
        Variables { map, overlay: None }
    }

    /// `map` with `key` set to `value` (as an insert into a copy would read).
    pub(crate) fn with(
        map: &'a Map<String, Value>,
        key: &'a str,
        value: &'a Value,
    ) -> Variables<'a> {
        Variables {
            map,
            overlay: Some((key, value)),
        }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        match self.overlay {
            Some((k, v)) if k == key => Some(v),
            // A context's few variables are found sooner by comparing keys than by hashing one.
            _ if self.map.len() <= 16 => self
                .map
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| v),
            _ => self.map.get(key),
        }
    }
}

/// What evaluation reads.
struct Env<'a> {
    variables: Variables<'a>,
    user_id: Option<&'a str>,
    fme: Option<&'a FmeContext<'a>>,
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    CustomVariable(Box<CustomVariable>),
    User(User),
    /// FME `custom_variable`.
    FmeCustomVariable(Box<fme::CustomVariable>),
    /// FME leaves that read the request context.
    Context(Box<fme::ContextLeaf>),
    /// FME: an `and` made only of location nodes.
    Location(Box<fme::Location>),
    /// FME: an `or` made only of user-agent nodes.
    UserAgentInfo(Box<fme::UserAgentInfo>),
    /// FME: a location node inside a mixed `and`, which the reference skips (§10 Q19).
    Skipped,
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
        Segment::compile_as(dsl, path, Dialect::V1)
    }

    /// [`Segment::compile`] for either generation's DSL.
    pub(crate) fn compile_as(
        dsl: &Value,
        path: &str,
        dialect: Dialect,
    ) -> Result<Option<Segment>, Error> {
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
            root: compile_node(dsl, dialect),
            needs_web_testing: dialect == Dialect::Fme && mentions_key(dsl, "campaignVariation"),
        }))
    }

    /// Evaluates against `variables` (custom variables for pre-segmentation, variation-targeting
    /// variables for whitelisting). `user_id` is what `user` operands compare against; when `None`, the
    /// string value of `variables["_vwo_user_id"]` is used if present, else a `user` leaf is false.
    pub fn evaluate(&self, variables: &Map<String, Value>, user_id: Option<&str>) -> bool {
        let env = Env {
            variables: Variables::of(variables),
            user_id,
            fme: None,
        };
        self.root.evaluate(&env).unwrap_or(false)
    }

    /// Evaluates an FME segment against `variables` (custom variables, or variation-targeting
    /// variables for whitelisting) and the request context.
    pub(crate) fn evaluate_fme(&self, variables: Variables<'_>, ctx: &FmeContext<'_>) -> bool {
        if self.needs_web_testing && ctx.web_testing_campaigns.is_none() {
            return false;
        }
        let env = Env {
            variables,
            user_id: None,
            fme: Some(ctx),
        };
        self.root.evaluate(&env).unwrap_or(false)
    }
}

/// Whether any object in `v` has the key `key`.
fn mentions_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(o) => o.iter().any(|(k, v)| k == key || mentions_key(v, key)),
        Value::Array(a) => a.iter().any(|v| mentions_key(v, key)),
        _ => false,
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

fn compile_node(v: &Value, dialect: Dialect) -> Node {
    let Some((key, value)) = key_value(v) else {
        return Node::Raise;
    };
    let Key::Str(op) = key else {
        return Node::Unknown;
    };
    match op {
        "and" => match dialect {
            Dialect::Fme => compile_grouped(value, &fme::LOCATION_KEYS, true),
            Dialect::V1 => Node::And(compile_children(value, dialect)),
        },
        "or" => match dialect {
            Dialect::Fme => compile_grouped(value, &fme::USER_AGENT_KEYS, false),
            Dialect::V1 => Node::Or(compile_children(value, dialect)),
        },
        "not" => Node::Not(Box::new(compile_node(value, dialect))),
        "custom_variable" => {
            let (name, operand) = match key_value(value) {
                Some((Key::Str(name), operand)) => (Some(name), operand),
                Some((Key::Int, operand)) => (None, operand),
                None => return Node::Raise,
            };
            match dialect {
                Dialect::V1 => {
                    Node::CustomVariable(Box::new(CustomVariable::compile(name, operand)))
                }
                Dialect::Fme => {
                    Node::FmeCustomVariable(Box::new(fme::CustomVariable::compile(name, operand)))
                }
            }
        }
        "user" => Node::User(User::compile(
            value,
            match dialect {
                Dialect::V1 => USER_ID_KEY,
                Dialect::Fme => FME_USER_ID_KEY,
            },
        )),
        _ => match dialect {
            Dialect::Fme => match fme::ContextLeaf::compile(op, value) {
                Some(leaf) => Node::Context(Box::new(leaf)),
                None => Node::Unknown,
            },
            Dialect::V1 => Node::Unknown,
        },
    }
}

/// An FME `and` (location keys) or `or` (user-agent keys): when every child is a node of those keys
/// they are checked together (`FME_SPEC.md` §5.4); in a mixed list those children are skipped (true in
/// an `and`; in an `or` they are never evaluated, i.e. false).
fn grouped_key<'v>(child: &'v Value, keys: &[&str]) -> Option<(&'v str, &'v Value)> {
    let (k, v) = child.as_object()?.iter().next()?;
    keys.contains(&k.as_str()).then_some((k.as_str(), v))
}

fn compile_grouped(value: &Value, keys: &[&str], is_and: bool) -> Node {
    let grouped_key = |child| grouped_key(child, keys);
    if let Value::Array(items) = value {
        let grouped: Vec<(&str, &Value)> = items.iter().filter_map(grouped_key).collect();
        if !items.is_empty() && grouped.len() == items.len() {
            return if is_and {
                Node::Location(Box::new(fme::Location::compile(&grouped)))
            } else {
                Node::UserAgentInfo(Box::new(fme::UserAgentInfo::compile(&grouped)))
            };
        }
        let children = items
            .iter()
            .map(|child| match grouped_key(child) {
                Some(_) if is_and => Node::Skipped,
                Some(_) => Node::Unknown,
                None => compile_node(child, Dialect::Fme),
            })
            .collect();
        return if is_and {
            Node::And(children)
        } else {
            Node::Or(children)
        };
    }
    let children = compile_children(value, Dialect::Fme);
    if is_and {
        Node::And(children)
    } else {
        Node::Or(children)
    }
}

/// What `all()`/`any()` iterate over for an `and`/`or` value.
fn compile_children(v: &Value, dialect: Dialect) -> Vec<Node> {
    match v {
        Value::Array(items) => items.iter().map(|i| compile_node(i, dialect)).collect(),
        // An object's keys and a string's characters are strings: evaluating the first one raises.
        Value::Object(o) if o.is_empty() => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        _ => vec![Node::Raise],
    }
}

impl Node {
    fn evaluate(&self, env: &Env<'_>) -> Result<bool, Raise> {
        match self {
            Node::And(children) => {
                for child in children {
                    if !child.evaluate(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Or(children) => {
                for child in children {
                    if child.evaluate(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Node::Not(child) => Ok(!child.evaluate(env)?),
            Node::CustomVariable(leaf) => leaf.evaluate(&env.variables),
            Node::User(leaf) => leaf.evaluate(&env.variables, env.user_id),
            Node::FmeCustomVariable(leaf) => leaf.evaluate(&env.variables),
            Node::Context(leaf) => Ok(env.fme.is_some_and(|ctx| leaf.evaluate(ctx))),
            Node::Location(leaf) => Ok(env.fme.is_some_and(|ctx| leaf.evaluate(ctx))),
            Node::UserAgentInfo(leaf) => Ok(env.fme.is_some_and(|ctx| leaf.evaluate(ctx))),
            Node::Skipped => Ok(true),
            Node::Unknown => Ok(false),
            Node::Raise => Err(Raise),
        }
    }
}

#[cfg(test)]
mod tests;
