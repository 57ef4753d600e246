//! TEMPORARY interface placeholder (replaced by the real module from branch `events` before merge).
#![allow(dead_code, unused_variables, clippy::all)]
use crate::settings::Id;
use serde_json::{Map, Value};
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}
#[derive(Debug, Clone, PartialEq)]
pub struct EventRequest {
    pub method: HttpMethod,
    pub url: String,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}
impl EventRequest {
    pub fn wire_url(&self) -> String {
        unimplemented!()
    }
}
#[derive(Debug, Clone)]
pub struct EventContext {
    pub base_url: String,
    pub collection_prefix: Option<String>,
    pub account_id: Value,
    pub sdk_key: String,
    pub sdk_name: String,
    pub sdk_version: String,
    pub usage_stats: Vec<(&'static str, String)>,
}
pub struct Visitor<'a> {
    pub uuid: &'a str,
    pub user_agent: Option<&'a str>,
    pub user_ip: Option<&'a str>,
}
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub random: f64,
    pub unix_ms: u64,
}
pub fn track_user(
    ctx: &EventContext,
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    s: Stamp,
) -> EventRequest {
    unimplemented!()
}
pub fn track_goal(
    ctx: &EventContext,
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    goal_id: &Id,
    revenue: Option<&Value>,
    s: Stamp,
) -> EventRequest {
    unimplemented!()
}
pub fn push(
    ctx: &EventContext,
    v: &Visitor,
    tag_key: &str,
    tag_value: &Value,
    s: Stamp,
) -> EventRequest {
    unimplemented!()
}
pub fn arch_variation_shown(
    ctx: &EventContext,
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    custom_properties: Option<&Value>,
    s: Stamp,
) -> EventRequest {
    unimplemented!()
}
pub fn arch_goal(
    ctx: &EventContext,
    v: &Visitor,
    goal_identifier: &str,
    metrics: &[(Id, Id)],
    revenue_props: &[(String, Value)],
    event_properties: Option<&Map<String, Value>>,
    s: Stamp,
) -> EventRequest {
    unimplemented!()
}
pub fn arch_push(
    ctx: &EventContext,
    v: &Visitor,
    dimensions: &[(String, Value)],
    s: Stamp,
) -> EventRequest {
    unimplemented!()
}
pub fn batch_track_user(v: &Visitor, campaign_id: &Id, variation_id: &Id, s: Stamp) -> Value {
    unimplemented!()
}
pub fn batch_track_goal(
    v: &Visitor,
    campaign_id: &Id,
    variation_id: &Id,
    goal_id: &Id,
    revenue: Option<&Value>,
    s: Stamp,
) -> Value {
    unimplemented!()
}
pub fn batch_push(v: &Visitor, tag_key: &str, tag_value: &Value, s: Stamp) -> Value {
    unimplemented!()
}
pub fn batch_request(ctx: &EventContext, events: &[Value]) -> EventRequest {
    unimplemented!()
}
pub fn visitor_uuid(account_id: &str, user_id: &str) -> String {
    unimplemented!()
}
pub mod pyjson {
    pub fn py_str(v: &serde_json::Value) -> String {
        unimplemented!()
    }
}
