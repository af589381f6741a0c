// `remote` (and `getter`, which only works with it) derive serde functions for
// another type instead of `Serialize`/`Deserialize` for this one.
use serde::{Deserialize, Serialize};
use session_runtime::MaxEncodedLen;

mod other {
    #[derive(Default)]
    pub struct Point {
        x: u8,
    }
    impl Point {
        pub fn x(&self) -> u8 {
            self.x
        }
    }
    impl From<super::PointDef> for Point {
        fn from(def: super::PointDef) -> Self {
            Point { x: def.x }
        }
    }
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[serde(remote = "other::Point")]
pub struct PointDef {
    #[serde(getter = "other::Point::x")]
    x: u8,
}

fn main() {}
