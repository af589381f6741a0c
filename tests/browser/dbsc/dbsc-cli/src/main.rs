//! Throwaway CLI over the session-runtime DBSC core, called by the probe server
//! for every protocol step, so the real Chromium's proofs are checked by our code.
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use session_runtime::dbsc::*;
use session_runtime::Key;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn main() {
    let key = DbscKey::new(&Key::from_secret(&[0x5a; 32]).unwrap());
    let window = ChallengeWindow::default();
    let args: Vec<String> = std::env::args().collect();
    let sid = |s: &str| SessionId::parse(s).expect("session id");
    let out = match args[1].as_str() {
        "login" => {
            let mut raw = [0u8; 16];
            std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut raw).unwrap();
            let id = SessionId::from_bytes(raw);
            let c = Challenge::issue(&key, ChallengePurpose::Registration, &id, now());
            format!("{id}\n{}", registration_header(&args[2], &c, args.get(3).map(String::as_str)).unwrap())
        }
        "register" => {
            let token = parse_response_header(&args[2]).unwrap();
            match RegistrationProof::verify(&key, token, &sid(&args[3]), args.get(4).map(String::as_str), now(), &window) {
                Ok(p) => format!("OK\n{}", hex(&p.device_key().to_compressed())),
                Err(e) => format!("ERR\n{e}"),
            }
        }
        "challenge" => {
            let id = sid(&args[2]);
            let at = args.get(3).map_or_else(now, |s| s.parse().unwrap());
            challenge_header(&Challenge::issue(&key, ChallengePurpose::Refresh, &id, at), &id)
        }
        "refresh" => {
            let token = parse_response_header(&args[2]).unwrap();
            let id = parse_session_id_header(&args[3]).unwrap();
            let device = DeviceKey::from_compressed(&unhex(&args[4])).unwrap();
            match RefreshProof::verify(&key, token, &device, &id, now(), &window) {
                Ok(p) => format!("OK\n{}", p.challenge_issued_at()),
                Err(e) => format!("ERR\n{e}"),
            }
        }
        "bound" => {
            let device = DeviceKey::from_compressed(&unhex(&args[4])).unwrap();
            BoundCookie::issue(&key, &sid(&args[2]), &device, now() + args[3].parse::<u64>().unwrap())
        }
        "check-bound" => match BoundCookie::verify(&key, &args[2], &sid(&args[3]), now()) {
            Ok(contents) => format!("OK\n{}", contents.expires_at),
            Err(e) => format!("ERR\n{e}"),
        },
        "instructions" => SessionInstructions::new(&sid(&args[2]), &args[3], &args[4], &args[5])
            .exclude_path("/static")
            .to_json(),
        other => panic!("unknown command {other}"),
    };
    println!("{out}");
}
