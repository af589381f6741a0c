// serde leaves skipped variants out of the index only when decoding: every
// later variant would decode as its neighbour.
use serde::{Deserialize, Serialize};
use session_runtime::MaxEncodedLen;

#[derive(MaxEncodedLen, Serialize, Deserialize)]
pub enum Step {
    #[serde(skip)]
    Hidden,
    #[serde(skip_deserializing)]
    WriteOnly,
    #[serde(skip_serializing)]
    ReadOnly,
    Visible(u8),
}

fn main() {}
