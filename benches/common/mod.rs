//! The workload generator shared by the benchmarks: the reference harness's LCG, user picks and profiles
//! (`../shared/bench/workload_spec.md`), so every bench draws the same call sequence and W1's digest
//! checks it.

use serde_json::{json, Map, Value};

pub struct Lcg(pub u32);

impl Lcg {
    pub fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }
    pub fn rand(&mut self, n: u32) -> u32 {
        (self.next() >> 8) % n
    }
}

pub const USER_POOL: u32 = 100_000;

/// 1 call in 100 a whitelisted QA user, else one of `USER_POOL` users.
pub fn pick_user(rng: &mut Lcg) -> String {
    if rng.rand(100) == 0 {
        format!("qa_user_{}", rng.rand(12) + 1)
    } else {
        format!("user_{}", rng.rand(USER_POOL))
    }
}

/// The eight visitor profiles passed as custom variables to segmented campaigns.
pub fn profiles() -> Vec<Map<String, Value>> {
    let v = json!([
        {"browser": "Chrome", "country": "US", "plan": "premium", "email": "alice@gmail.com",
         "url": "https://shop.example.com/products/42", "age": 34, "tier": 3, "isLoggedIn": true, "price": 19.99},
        {"browser": "Firefox", "country": "UK", "plan": "free", "email": "bob@yahoo.com",
         "url": "https://www.example.com/blog/1", "age": 22, "tier": 1, "isLoggedIn": false, "price": 5.5},
        {"browser": "Safari", "country": "DE", "plan": "enterprise", "email": "carol@example.com",
         "url": "https://shop.example.com/cart", "age": 45, "tier": 3, "isLoggedIn": true, "price": 99.99},
        {"browser": "Edge", "country": "CA", "plan": "PREMIUM", "email": "dave@outlook.com",
         "url": "https://m.example.com/products/7", "age": 29, "tier": 2, "isLoggedIn": true, "price": 49},
        {"browser": "chrome", "country": "IN", "plan": "basic", "email": "test.user@example.com",
         "url": "https://example.com/", "age": 19, "tier": 1, "isLoggedIn": true, "price": 9.99},
        {"browser": "Googlebot", "country": "US", "plan": "enterprise", "email": "crawler@google.com",
         "url": "https://shop.example.com/products/1", "age": 1, "tier": 3, "isLoggedIn": false, "price": 0.99},
        {"browser": "IE", "country": "UK", "plan": "free", "email": "eve@example.org",
         "url": "https://www.example.com/pricing", "age": 61, "tier": 1, "isLoggedIn": false, "price": 199.99},
        {"browser": "Firefox", "country": "CN", "plan": "premium", "email": "frank@gmail.com",
         "url": "https://shop.example.com/products/99", "age": 38, "tier": 2, "isLoggedIn": true, "price": 29.99}
    ]);
    v.as_array()
        .map(|a| a.iter().filter_map(|p| p.as_object().cloned()).collect())
        .unwrap_or_default()
}
