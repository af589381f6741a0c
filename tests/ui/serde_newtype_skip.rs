// serde encodes the only field of a tuple struct even when it is `skip`ped, so
// counting it as 0 bytes would understate the bound: refused.
use serde::{Deserialize, Serialize};
use session_runtime::MaxEncodedLen;

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
pub struct Id(#[serde(skip)] u64);

fn main() {}
