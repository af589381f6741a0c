// The over-budget error names the three largest stored fields, largest first;
// a `#[serde(skip)]` field stores nothing and is not named.
use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, BoundedVec, CookieSession, MaxEncodedLen};

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
pub struct CartLine {
    sku: u32,
    quantity: u16,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-shop", version = 3)]
pub struct ShopSession {
    user_id: Option<u64>,
    display_name: BoundedString<32>,
    #[serde(skip)]
    rendered_page: String,
    cart: BoundedVec<CartLine, 400>,
    flags: (bool, bool),
    notes: BoundedString<600>,
}

fn main() {}
