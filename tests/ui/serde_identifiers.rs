// `field_identifier` / `variant_identifier` make an enum deserialize through
// `deserialize_identifier`, which postcard does not implement.
// Only `Deserialize` is derived: serde itself refuses to derive `Serialize`
// for them, which would add its own error.
use serde::Deserialize;
use session_runtime::MaxEncodedLen;

#[derive(MaxEncodedLen, Deserialize)]
#[serde(field_identifier)]
pub enum Field {
    A,
    B,
}

#[derive(MaxEncodedLen, Deserialize)]
#[serde(variant_identifier)]
pub enum Variant {
    A,
    B,
}

fn main() {}
