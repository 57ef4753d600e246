//! The segmentation DSL (src/segmentation) with random custom variables, in both dialects (v1 and
//! FME). Input: the DSL JSON, a newline, then bytes that choose the variables: each custom_variable
//! key the DSL names gets a value drawn from the operand text (exact, case-changed, cut), numbers,
//! booleans, null or raw bytes, so that evaluation reaches the operators rather than missing keys.
//!
//! Checks, each a property the evaluator documents (no invented oracle): evaluation never panics; it
//! is deterministic (the compiled segment twice, and `evaluate_dsl` compiling again); it does not
//! depend on the order of the variables map (a map is looked up by key); and a DSL that went through a
//! JSON print and parse evaluates the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};
use vwo::segmentation::{evaluate_dsl, Segment};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// Every (key, operand text) of `custom_variable` leaves, and the user operands, in `v`.
fn leaves(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, inner) in o {
                if k == "custom_variable" {
                    if let Value::Object(cv) = inner {
                        for (name, operand) in cv {
                            let text = match operand {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            out.push((name.clone(), text));
                        }
                    }
                }
                leaves(inner, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        _ => {}
    }
}

/// The literal inside an operand such as `wildcard(*abc*)`, `regex(a.c)`, `lower(x)`, or the text.
fn inner_literal(op: &str) -> &str {
    match (op.find('('), op.rfind(')')) {
        (Some(a), Some(b)) if a < b => op[a + 1..b].trim_matches('*'),
        _ => op,
    }
}

fn value_for(operand: &str, b: &mut Bytes) -> Value {
    let lit = inner_literal(operand);
    match b.byte() % 12 {
        0 => Value::String(lit.to_string()),
        1 => Value::String(lit.to_uppercase()),
        2 => Value::String(lit.to_lowercase()),
        3 => {
            let n = b.byte() as usize;
            Value::String(lit.chars().take(n % (lit.chars().count() + 1)).collect())
        }
        4 => Value::String(format!("x{lit}y")),
        5 => lit
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        6 => Value::from(i64::from(b.byte() as i8)),
        7 => Number::from_f64(f64::from(b.byte()) / 7.0).map_or(Value::Null, Value::Number),
        8 => Value::Bool(b.byte() & 1 == 1),
        9 => Value::Null,
        10 => {
            let n = b.byte() as usize % 16;
            Value::String(String::from_utf8_lossy(b.take(n)).into_owned())
        }
        _ => Value::String(operand.to_string()),
    }
}

fn reversed(m: &Map<String, Value>) -> Map<String, Value> {
    let mut r = Map::new();
    for (k, v) in m.iter().rev() {
        r.insert(k.clone(), v.clone());
    }
    r
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(dsl) = serde_json::from_slice::<Value>(&data[..split]) else {
        return;
    };
    let mut b = Bytes(data.get(split + 1..).unwrap_or(&[]));
    let mut found = Vec::new();
    leaves(&dsl, &mut found);
    let mut vars = Map::new();
    for (key, operand) in found.iter().take(32) {
        if b.byte() % 8 != 0 {
            vars.insert(key.clone(), value_for(operand, &mut b));
        }
    }
    // A few keys the DSL does not name, and sometimes the user id inside the map.
    for i in 0..(b.byte() % 3) {
        vars.insert(format!("extra{i}"), value_for("extra", &mut b));
    }
    let user_id = match b.byte() % 3 {
        0 => None,
        1 => Some("fuzz-user".to_string()),
        _ => {
            let n = b.byte() as usize % 24;
            Some(String::from_utf8_lossy(b.take(n)).into_owned())
        }
    };
    if b.byte() % 4 == 0 {
        vars.insert(
            "_vwo_user_id".into(),
            Value::String(user_id.clone().unwrap_or_default()),
        );
    }
    let user = user_id.as_deref();

    let compiled = Segment::compile(&dsl, "segments");
    let result = match &compiled {
        Ok(Some(s)) => {
            let r = s.evaluate(&vars, user);
            assert_eq!(
                r,
                s.evaluate(&vars, user),
                "evaluation is not deterministic"
            );
            assert_eq!(
                r,
                s.evaluate(&reversed(&vars), user),
                "depends on variable order"
            );
            r
        }
        Ok(None) | Err(_) => false,
    };
    assert_eq!(
        result,
        evaluate_dsl(&dsl, &vars, user),
        "evaluate_dsl differs"
    );
    let reparsed: Value = serde_json::from_str(&dsl.to_string()).expect("printed JSON reparses");
    assert_eq!(
        result,
        evaluate_dsl(&reparsed, &vars, user),
        "JSON round trip changed it"
    );

    let fme = vwo::fme::evaluate_segment_dsl(&dsl, &vars);
    assert_eq!(
        fme,
        vwo::fme::evaluate_segment_dsl(&dsl, &vars),
        "FME: not deterministic"
    );
    assert_eq!(
        fme,
        vwo::fme::evaluate_segment_dsl(&dsl, &reversed(&vars)),
        "FME: variable order"
    );
});
