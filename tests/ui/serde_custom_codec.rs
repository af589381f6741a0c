// Custom (de)serialization functions write bytes neither the size bound nor
// the fingerprint can see: refused on fields and on variants.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use session_runtime::{CookieSession, MaxEncodedLen};

mod as_u64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(value: &u8, serializer: S) -> Result<S::Ok, S::Error> {
        u64::from(*value).serialize(serializer)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
        Ok(u64::deserialize(deserializer)? as u8)
    }
}

fn ser_u8<S: Serializer>(value: &u8, serializer: S) -> Result<S::Ok, S::Error> {
    as_u64::serialize(value, serializer)
}

fn de_u8<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    as_u64::deserialize(deserializer)
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
pub enum Shape {
    #[serde(with = "as_u64")]
    A(u8),
    #[serde(serialize_with = "ser_u8")]
    B(u8),
    #[serde(deserialize_with = "de_u8")]
    C(u8),
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
pub struct AppSession {
    #[serde(with = "as_u64")]
    a: u8,
    #[serde(serialize_with = "ser_u8")]
    b: u8,
    #[serde(deserialize_with = "de_u8")]
    c: u8,
}

fn main() {}
