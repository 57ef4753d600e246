//! Unit tests: every operator, the Python column of spec §5.2a, and behaviour learnt from
//! vwo-python-sdk 1.68.2 used as a black-box oracle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn vars(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn eval(dsl: Value, variables: Value) -> bool {
    evaluate_dsl(&dsl, &vars(variables), None)
}

fn leaf(operand: Value, value: Value) -> bool {
    eval(
        json!({"custom_variable": {"k": operand}}),
        json!({ "k": value }),
    )
}

#[test]
fn spec_5_2a_python_column() {
    let table: Vec<(&str, Value, bool)> = vec![
        ("lower(Chrome)", json!("CHROME"), true),
        ("wildcard(*gold*)", json!("super-gold-x"), true),
        ("wildcard(gold*)", json!("goldie"), true),
        ("wildcard(*gold)", json!("rosegold"), true),
        ("wildcard(gold)", json!("gold"), true),
        ("wildcard(a*b)", json!("axxb"), false),
        ("wildcard(a*b)", json!("a*b"), true),
        ("wildcard(*)", json!("anything"), false),
        ("wildcard(*)", json!(""), false),
        ("regex(^ab+c$)", json!("abbbc"), true),
        ("regex(b+)", json!("xxbxx"), true),
        ("gt(30)", json!(31), true),
        ("gt(30)", json!("30"), false),
        ("gte(30)", json!(30.0), true),
        ("lt(-5)", json!(-10), true),
        ("lte(3.5)", json!("3.5"), true),
        ("123", json!(123), true),
        ("123", json!(123.0), true),
        ("123", json!("123.00"), true),
        ("123", json!("123abc"), false),
        ("123", json!(true), false),
        ("true", json!(true), true),
        ("0", json!("0.0"), true),
        ("0.0", json!(0), true),
        ("1e3", json!(1000), true),
        ("12.50", json!(12.5), true),
        ("", json!(""), false),
        ("abc(def)", json!("abc(def)"), true),
        ("contains(ell)", json!("hello"), true),
        ("lower(123.0)", json!(123), true),
    ];
    for (operand, value, want) in table {
        assert_eq!(
            leaf(json!(operand), value.clone()),
            want,
            "{operand:?} vs {value}"
        );
    }
}

#[test]
fn operators_and_internal_names() {
    let cases: Vec<(&str, Value, bool)> = vec![
        ("lower(ell)", json!("ELL"), true),
        ("lower(5)", json!("5.0"), true),
        ("lower(İ)", json!("i\u{307}"), true),
        ("lower(ΑΣ)", json!("ας"), true),
        ("wildcard(ell)", json!("ELL"), false),
        ("wildcard(**)", json!("x*"), true),
        ("wildcard(**)", json!("*x"), false),
        ("wildcard(***)", json!("x*y"), true),
        ("wildcard(*)", json!("*"), true),
        ("wildcard(*5*)", json!("5.0"), true),
        ("wildcard(5*)", json!("51"), true),
        ("regex(ell)", json!("hello"), true),
        ("regex(ell)", json!("he(ll)o"), false),
        ("regex(5)", json!("5.0"), true),
        ("regex(^5$)", json!("5.0"), false),
        ("regex(1)", json!(1), true),
        ("regex(b$)", json!("ab\n"), true),
        ("regex(b$)", json!("ab\n\n"), false),
        ("regex(a(?=b))", json!("ab"), true),
        ("regex((a)\\1)", json!("aa"), true),
        ("regex(a{)", json!("a{"), true),
        ("regex([[])", json!("["), true),
        ("regex([a&&b])", json!("&"), true),
        ("regex(\\p{L})", json!("a"), false),
        ("regex(a.b)", json!("a\nb"), false),
        ("regex(()", json!("x"), false),
        ("regex()", json!("x"), true),
        ("equals(ell)", json!("ell"), true),
        ("equals(5)", json!("5.0"), true),
        ("contains(ell)", json!("hell"), true),
        ("contains(5)", json!("5.0"), true),
        // Python's handler names are swapped.
        ("startswith(ell)", json!("hell"), true),
        ("startswith(ell)", json!("ello"), false),
        ("endswith(ell)", json!("ello"), true),
        ("endswith(ell)", json!("hell"), false),
        ("greaterthan(5)", json!(6), true),
        ("greaterthanequalto(5)", json!("5.0"), true),
        ("lessthan(5)", json!(4), true),
        ("lessthanequalto(5)", json!(5), true),
        ("gt(5)", json!("5.0"), false),
        ("gte(5)", json!(5), true),
        ("lt(5)", json!(4), true),
        ("lte(5)", json!(6), false),
        ("gt( 5 )", json!("6"), true),
        // Unknown or differently spelt names: equality with the whole operand.
        ("greater_than(5)", json!(6), false),
        ("greater_than(ell)", json!("greater_than(ell)"), true),
        ("LOWER(ell)", json!("ell"), false),
        ("LOWER(ell)", json!("LOWER(ell)"), true),
        ("lower (x)", json!("x"), false),
        ("x(5)", json!("x(5)"), true),
        // Operand parsing: first line only, last `)` of the line.
        ("lo\nwer(X)", json!("lo\nwer(X)"), true),
        ("lower(X\nY)", json!("lower(X\nY)"), true),
        ("lower(X\nY)", json!("x\ny"), false),
        ("lower(X)\nY)", json!("x"), true),
        ("lower(X)abc", json!("x"), true),
        ("lower(X)b)", json!("x)b"), true),
        ("(a)(b)", json!("(a)(b)"), true),
        ("()", json!("()"), true),
        ("lower()", json!("x"), false),
        ("wildcard(a\nb)", json!("a\nb"), false),
    ];
    for (operand, value, want) in cases {
        assert_eq!(
            leaf(json!(operand), value.clone()),
            want,
            "{operand:?} vs {value}"
        );
    }
}

#[test]
fn numeric_normalisation() {
    let cases: Vec<(&str, Value, bool)> = vec![
        ("5.0", json!(5), true),
        (" 12 ", json!(12), true),
        ("\u{1c}12", json!(12), false),
        ("1_000", json!(1000), true),
        ("1__000", json!("1__000"), true),
        ("1e1_0", json!(10000000000u64), true),
        ("\u{661}\u{662}", json!(12), true),
        ("\u{ff11}\u{ff12}", json!(12), true),
        ("-5", json!("-5.0"), true),
        ("+5", json!("5"), true),
        ("5.", json!(".5e1"), true),
        ("0x10", json!("16"), false),
        ("1", json!(true), false),
        // nan / inf on both sides: int() raises, the segment is false.
        ("nan", json!("nan"), false),
        ("x", json!("nan"), false),
        ("lower(INF)", json!("infx"), false),
        // Renderings: str(int(x)) / repr(x).
        ("endswith(5)", json!("0.00005"), true),
        ("endswith(0)", json!("0.00005"), false),
        ("contains(52504760255)", json!("1e300"), true),
        ("contains(1)", json!(1e16), true),
        ("endswith(10000000000000000)", json!(1e16), true),
    ];
    for (operand, value, want) in cases {
        assert_eq!(
            leaf(json!(operand), value.clone()),
            want,
            "{operand:?} vs {value}"
        );
    }
    // Raising cases are false even under `not`.
    for (operand, value) in [
        ("nan", json!("nan")),
        ("5", json!("nan")),
        ("lower(INF)", json!("inf")),
        ("gt(5)", json!("inf")),
    ] {
        assert!(
            !eval(
                json!({"not": {"custom_variable": {"k": operand}}}),
                json!({ "k": value })
            ),
            "{operand}"
        );
    }
}

#[test]
fn tag_values() {
    assert!(leaf(json!("['a', 1]"), json!(["a", 1])));
    assert!(leaf(json!("{'k': 'v'}"), json!({"k": "v"})));
    assert!(leaf(
        json!("[True, None, 1.0, 'x\"y', \"it's\"]"),
        json!([true, null, 1.0, "x\"y", "it's"])
    ));
    assert!(leaf(json!("[]"), json!([])));
    assert!(leaf(json!("{}"), json!({})));
    assert!(leaf(json!("true"), json!(true)));
    assert!(!leaf(json!("True"), json!(true)));
    assert!(leaf(json!("false"), json!(false)));
    assert!(leaf(json!("regex(^123\\.0$)"), json!(123.0)));
    assert!(leaf(json!("regex(^1e\\+16$)"), json!(1e16)));
    assert!(leaf(json!("regex(^1e-05$)"), json!(0.00001)));
    assert!(!leaf(json!(""), json!(null)));
    assert!(!leaf(json!("regex(.*)"), json!("")));
    assert!(!eval(json!({"custom_variable": {"k": "x"}}), json!({})));
    // Missing or empty tag is false before gt() could raise.
    assert!(eval(
        json!({"not": {"custom_variable": {"k": "gt(abc)"}}}),
        json!({"k": ""})
    ));
    // gt() on non-numbers raises: false even under `not`.
    for v in [json!("abc"), json!(true), json!([6])] {
        assert!(!eval(
            json!({"not": {"custom_variable": {"k": "gt(5)"}}}),
            json!({ "k": v })
        ));
    }
    assert!(!eval(
        json!({"not": {"custom_variable": {"k": "gt(abc)"}}}),
        json!({"k": "5"})
    ));
}

#[test]
fn tree_shapes() {
    let t = |dsl: Value, v: Value| eval(dsl, v);
    let x = json!({"a": "x"});
    assert!(t(json!({"and": []}), json!({})));
    assert!(!t(json!({"or": []}), json!({})));
    assert!(t(json!({"and": {}}), json!({})));
    assert!(!t(json!({"or": {}}), json!({})));
    assert!(t(json!({"and": ""}), json!({})));
    assert!(!t(json!({"or": ""}), json!({})));
    // Raising shapes: false, and not rescued by `not`.
    for dsl in [
        json!({"and": {"custom_variable": {"a": "x"}}}),
        json!({"and": "abc"}),
        json!({"and": null}),
        json!({"and": true}),
        json!({"and": 5}),
        json!({"not": []}),
        json!({"not": {}}),
        json!({"not": "abc"}),
        json!({"not": null}),
        json!({"not": [5]}),
        json!({"not": ["and", 3]}),
        json!({"and": [[]]}),
        json!({"and": ["x"]}),
        json!({"and": [null]}),
        json!({"or": [1]}),
        json!({"or": [{}]}),
        json!({"custom_variable": []}),
        json!({"custom_variable": [["a", "x"]]}),
        json!({"custom_variable": "a"}),
        json!({"custom_variable": null}),
        json!({"custom_variable": {}}),
        json!({"custom_variable": {"a": 5}}),
        json!({"custom_variable": {"a": null}}),
        json!({"custom_variable": {"a": true}}),
        json!({"custom_variable": {"a": ["x"]}}),
        json!({"custom_variable": [1, 5]}),
        json!({"custom_variable": [0]}),
        json!({"custom_variable": {"a": "wildcard()"}}),
        json!({"user": ["a"]}),
        json!({"user": 5}),
    ] {
        assert!(!t(dsl.clone(), x.clone()), "{dsl}");
        assert!(!t(json!({"not": dsl.clone()}), x.clone()), "not {dsl}");
    }
    // Unknown operators are None: false, `not` of it true.
    assert!(!t(json!({"foo": 1}), json!({})));
    assert!(t(json!({"not": {"foo": 1}}), json!({})));
    assert!(!t(json!({"foo": 1, "and": []}), json!({})));
    assert!(t(json!({"and": [], "foo": 1}), json!({})));
    // Arrays read as `x[x[0]]`: an int key, never an operator.
    assert!(!t(json!({"and": [[0]]}), json!({})));
    assert!(t(json!({"not": [0]}), json!({})));
    assert!(t(json!({"not": [-1, 3]}), json!({})));
    assert!(t(json!({"not": [true, 3]}), json!({})));
    assert!(!t(json!({"custom_variable": [1, "x"]}), json!({"1": "x"})));
    assert!(t(
        json!({"not": {"custom_variable": [1, "x"]}}),
        json!({"1": "x"})
    ));
    // Short-circuit decides whether a malformed child is reached.
    assert!(t(
        json!({"or": [{"custom_variable": {"a": "x"}}, 5]}),
        x.clone()
    ));
    assert!(!t(
        json!({"and": [{"custom_variable": {"a": "y"}}, 5]}),
        x.clone()
    ));
    assert!(!t(
        json!({"not": {"and": [{"custom_variable": {"a": "x"}}, 5]}}),
        x.clone()
    ));
    // First key of a multi-key custom_variable.
    assert!(t(
        json!({"custom_variable": {"a": "x", "b": "y"}}),
        json!({"a": "x", "b": "z"})
    ));
    assert!(!t(
        json!({"custom_variable": {"b": "y", "a": "x"}}),
        json!({"a": "x", "b": "z"})
    ));
    // An invalid regex is a false leaf, not an exception.
    assert!(t(
        json!({"or": [{"custom_variable": {"a": "regex(()"}}, {"custom_variable": {"a": "x"}}]}),
        x.clone()
    ));
    assert!(t(json!({"not": {"custom_variable": {"a": "regex(()"}}}), x));
}

#[test]
fn user_leaf() {
    let u = |op: Value, id: Value| eval(json!({ "user": op }), json!({ "_vwo_user_id": id }));
    assert!(u(json!("a, b ,c"), json!("b")));
    assert!(!u(json!("1,2"), json!(2)));
    assert!(u(json!(""), json!("")));
    assert!(u(json!("a,,b"), json!("")));
    assert!(u(json!("\ta\u{a0},b"), json!("a")));
    assert!(u(json!("\u{1c}a"), json!("a")));
    assert!(!eval(json!({"user": "a"}), json!({})));
    let seg = Segment::compile(&json!({"user": "x, y"}), "s")
        .unwrap()
        .unwrap();
    assert!(seg.evaluate(&Map::new(), Some("y")));
    assert!(!seg.evaluate(&vars(json!({"_vwo_user_id": "y"})), Some("z")));
}

#[test]
fn compile_falsy_and_depth() {
    for v in [
        json!({}),
        json!(null),
        json!([]),
        json!(""),
        json!(0),
        json!(0.0),
        json!(false),
    ] {
        assert!(Segment::compile(&v, "p").unwrap().is_none(), "{v}");
        assert!(!evaluate_dsl(&v, &Map::new(), None));
    }
    for v in [
        json!("x"),
        json!([1]),
        json!(true),
        json!(5),
        json!({"foo": 1}),
    ] {
        let seg = Segment::compile(&v, "p").unwrap().unwrap();
        assert!(!seg.evaluate(&Map::new(), None), "{v}");
    }
    // 100 levels are fine, 101 are not.
    let nest = |levels: usize| {
        let mut v = json!({"custom_variable": {"a": "x"}}); // 2 levels
        let mut depth = 2;
        while depth + 2 <= levels {
            v = json!({ "not": { "not": v } });
            depth += 2;
        }
        if depth < levels {
            v = json!({ "and": [v] });
        }
        v
    };
    let ok = nest(100);
    assert!(Segment::compile(&ok, "p")
        .unwrap()
        .unwrap()
        .evaluate(&vars(json!({"a": "x"})), None));
    let err = Segment::compile(&nest(101), "campaigns[2].segments").unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidSettings);
    assert_eq!(
        err.message(),
        "campaigns[2].segments: segment DSL nested deeper than 100 levels"
    );
}

#[test]
fn very_deep_values_do_not_overflow() {
    let mut v = json!({"a": "x"});
    for _ in 0..100_000 {
        let mut m = Map::new();
        m.insert("not".to_string(), v);
        v = Value::Object(m);
    }
    assert!(Segment::compile(&v, "p").is_err());
    assert!(!evaluate_dsl(&v, &Map::new(), None));
    // Tear down iteratively (serde_json's Drop is recursive).
    let mut cur = v;
    while let Value::Object(mut m) = cur {
        cur = m.remove("not").unwrap_or(Value::Null);
    }
}

#[test]
fn segment_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug>() {}
    check::<Segment>();
}
