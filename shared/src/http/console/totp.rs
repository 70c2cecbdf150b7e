//! Time-based one-time codes (RFC 6238: HMAC-SHA-1, six digits, 30-second steps), as every authenticator app makes
//! them, and the RFC 4648 base32 their secrets are written in.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds in one step.
pub const STEP: i64 = 30;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// The code for one step.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&step.max(0).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[off]) & 0x7f) << 24 | u32::from(h[off + 1]) << 16 | u32::from(h[off + 2]) << 8 | u32::from(h[off + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The step whose code this is, looking one step either side of `now` (a phone's clock drifts, and a person types
/// slowly); `None` where it is none of them or is not six digits.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = now.div_euclid(STEP);
    let mut found = None;
    // Every candidate is compared, so the time taken does not say which step matched.
    for s in [step - 1, step, step + 1] {
        if bool::from(code_at(secret, s).as_bytes().ct_eq(code.as_bytes())) {
            found = Some(s);
        }
    }
    found
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as `otpauth://` URIs carry secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Reads RFC 4648 base32 (any case, padding and spaces ignored).
pub fn from_base32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET.iter().position(|a| *a as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (as a QR code or typed in).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String { form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20") };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B (SHA-1), the last six digits of each eight-digit code.
    #[test]
    fn the_codes_of_rfc_6238() {
        let secret = b"12345678901234567890";
        for (t, code) in
            [(59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            assert_eq!(code_at(secret, t / STEP), code, "at {t}");
        }
        assert_eq!(matching_step(secret, "287 082", 59), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30), Some(1), "one step late is still taken");
        assert_eq!(matching_step(secret, "287082", 59 + 90), None, "three steps late is not");
        assert_eq!(matching_step(secret, "28708", 59), None);
        assert_eq!(matching_step(secret, "abcdef", 59), None);
    }

    #[test]
    fn base32_as_rfc_4648_writes_it() {
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(from_base32("MZXW6YTB0I"), None, "0 is not in the alphabet");
        let uri = otpauth_uri("Safety alerts", "ana m", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/Safety%20alerts:ana%20m?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Safety%20alerts&algorithm=SHA1&digits=6&period=30"
        );
    }
}
