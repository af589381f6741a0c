// A key this derive has not vetted (a typo, or one a newer serde adds) is
// refused at every level: its effect on the bytes is unknown. Today's serde
// reports these keys too, so each appears twice; a key serde itself refuses
// at that level but accepts elsewhere (`skip` on a container, last) gets
// serde's error alone.
use serde::{Deserialize, Serialize};
use session_runtime::MaxEncodedLen;

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[serde(compact)]
pub enum Choice {
    #[serde(frobnicate)]
    A {
        #[serde(skip_if_empty)]
        x: u8,
        #[serde(std::skip)]
        y: u8,
    },
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[serde(skip)]
pub struct Whole {
    x: u8,
}

fn main() {}
