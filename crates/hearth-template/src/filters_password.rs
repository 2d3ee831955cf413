//! Ansible's `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None,
//! ident=None)` for the crypt(3) schemes Linux `/etc/shadow` uses: `sha512_crypt` (`$6$`),
//! `sha256_crypt` (`$5$`) and `md5_crypt` (`$1$`), printed as passlib prints them (Ansible 2.18
//! needs passlib): default rounds 656000 / 535000, `rounds=` left out when it is 5000, a random
//! salt of 16 (md5: 8) characters when none is given.
//! The SHA digests come from the `sha-crypt` crate; md5_crypt (no maintained crate) and the
//! crypt base64 encoding are written here. Not here: bcrypt/blowfish and passlib's other schemes.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};
use sha_crypt::Params;

use super::filter_support::filter_error;
use super::pyrepr::py_str;

/// Registers `password_hash`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("password_hash", password_hash);
}

/// crypt(3)'s base64 alphabet.
const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A scheme and what passlib defaults it to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scheme {
    Md5,
    Sha256,
    Sha512,
}

impl Scheme {
    /// Ansible's short names (`sha512`) and passlib's (`sha512_crypt`).
    fn from_name(name: &str) -> Result<Scheme, Error> {
        match name {
            "md5" | "md5_crypt" => Ok(Scheme::Md5),
            "sha256" | "sha256_crypt" => Ok(Scheme::Sha256),
            "sha512" | "sha512_crypt" => Ok(Scheme::Sha512),
            "blowfish" | "bcrypt" | "pbkdf2_sha256" | "pbkdf2_sha512" | "argon2" | "scrypt" => {
                Err(filter_error(format!("password_hash: hearth does not implement '{name}'")))
            }
            other => Err(filter_error(format!("passlib does not support '{other}' algorithm"))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Md5 => "md5_crypt",
            Scheme::Sha256 => "sha256_crypt",
            Scheme::Sha512 => "sha512_crypt",
        }
    }

    fn max_salt(self) -> usize {
        if self == Scheme::Md5 { 8 } else { 16 }
    }
}

/// The filter: checks the arguments like passlib, then hashes.
fn password_hash(
    value: &Value,
    hashtype: Option<String>,
    salt: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let hashtype = hashtype.or(kwargs.get("hashtype")?).unwrap_or_else(|| "sha512".into());
    let salt = salt.or(kwargs.get("salt")?).filter(|s| !s.is_none() && !s.is_undefined());
    let salt_size: Option<usize> = kwargs.get("salt_size")?;
    let rounds: Option<Value> = kwargs.get("rounds")?;
    let _ident: Option<Value> = kwargs.get("ident")?;
    kwargs.assert_all_used()?;
    let scheme = Scheme::from_name(&hashtype)?;
    let fail = |m: String| filter_error(format!("Could not hash the secret.. {m}"));
    let salt = match salt.map(|s| py_str(&s)).filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => random_salt(salt_size.unwrap_or(scheme.max_salt()).min(scheme.max_salt())),
    };
    if salt.len() > scheme.max_salt() {
        return Err(fail(format!(
            "salt too large ({} requires <= {} chars)",
            scheme.name(),
            scheme.max_salt()
        )));
    }
    if !salt.bytes().all(|b| CRYPT64.contains(&b)) {
        return Err(fail(format!("invalid characters in {} salt", scheme.name())));
    }
    let rounds = rounds.filter(|r| !r.is_none()).map(|r| to_rounds(&r)).transpose()?;
    let password = py_str(value);
    match scheme {
        Scheme::Md5 if rounds.is_some() => Err(fail("md5_crypt does not take rounds".into())),
        Scheme::Md5 => Ok(md5_crypt(password.as_bytes(), salt.as_bytes())),
        _ => {
            let default = if scheme == Scheme::Sha512 { 656_000 } else { 535_000 };
            let rounds = rounds.unwrap_or(default);
            let params = Params::new(rounds).map_err(|_| {
                let bound = if rounds < 1000 { "too low, must be at least 1000" } else { "too high" };
                fail(format!("{}: min_desired_rounds ({rounds}) is {bound}", scheme.name()))
            })?;
            Ok(sha_crypt_string(scheme, password.as_bytes(), &salt, rounds, params))
        }
    }
}

/// `rounds` given as a number or a numeric string (Ansible converts it with `int()`).
fn to_rounds(v: &Value) -> Result<u32, Error> {
    let n = match v.kind() {
        ValueKind::Number => i64::try_from(v.clone()).ok(),
        ValueKind::String => v.as_str().and_then(|s| s.trim().parse::<i64>().ok()),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        filter_error(format!("password_hash: rounds must be a positive integer, not {}", py_str(v)))
    })
}

/// `$5$`/`$6$` strings: `rounds=` only when it is not crypt's implicit 5000.
fn sha_crypt_string(scheme: Scheme, password: &[u8], salt: &str, rounds: u32, params: Params) -> String {
    let (ident, encoded) = match scheme {
        Scheme::Sha256 => {
            ("5", encode(&sha_crypt::sha256_crypt(password, salt.as_bytes(), params), &SHA256_ORDER))
        }
        _ => ("6", encode(&sha_crypt::sha512_crypt(password, salt.as_bytes(), params), &SHA512_ORDER)),
    };
    let rounds = if rounds == 5000 { String::new() } else { format!("rounds={rounds}$") };
    format!("${ident}${rounds}{salt}${encoded}")
}

/// The order in which SHA-256-crypt's digest bytes are encoded (three at a time, low first).
const SHA256_ORDER: [usize; 32] = [
    20, 10, 0, 11, 1, 21, 2, 22, 12, 23, 13, 3, 14, 4, 24, 5, 25, 15, 26, 16, 6, 17, 7, 27, 8, 28, 18, 29,
    19, 9, 30, 31,
];

/// The same for SHA-512-crypt.
const SHA512_ORDER: [usize; 64] = [
    42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47, 48, 27, 6, 7, 49, 28, 29, 8, 50, 51,
    30, 9, 10, 52, 31, 32, 11, 53, 54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15, 16, 58, 37, 38, 17, 59,
    60, 39, 18, 19, 61, 40, 41, 20, 62, 63,
];

/// The same for md5_crypt.
const MD5_ORDER: [usize; 16] = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];

/// crypt's base64: the bytes in `order`, three at a time as a little-endian 24-bit number, six
/// bits per character; a short last group gives as many characters as its bits need.
fn encode(digest: &[u8], order: &[usize]) -> String {
    let bytes: Vec<u8> = order.iter().map(|&i| digest[i]).collect();
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let w = group.iter().rev().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        let chars = (group.len() * 8).div_ceil(6);
        for k in 0..chars {
            out.push(char::from(CRYPT64[((w >> (6 * k)) & 0x3f) as usize]));
        }
    }
    out
}

/// Poul-Henning Kamp's md5_crypt (`$1$`), 1000 rounds of MD5 over password, salt and digest.
fn md5_crypt(password: &[u8], salt: &[u8]) -> String {
    use md5::{Digest, Md5};
    let alt = Md5::new().chain_update(password).chain_update(salt).chain_update(password).finalize();
    let mut ctx = Md5::new().chain_update(password).chain_update(b"$1$").chain_update(salt);
    for chunk in password.chunks(16) {
        ctx.update(&alt[..chunk.len()]);
    }
    let mut n = password.len();
    while n > 0 {
        if n & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        n >>= 1;
    }
    let mut fin = ctx.finalize();
    for i in 0..1000 {
        let mut c = Md5::new();
        if i & 1 == 1 {
            c.update(password)
        } else {
            c.update(fin)
        }
        if i % 3 != 0 {
            c.update(salt);
        }
        if i % 7 != 0 {
            c.update(password);
        }
        if i & 1 == 1 {
            c.update(fin)
        } else {
            c.update(password)
        }
        fin = c.finalize();
    }
    format!("$1${}${}", String::from_utf8_lossy(salt), encode(&fin, &MD5_ORDER))
}

/// A random salt from crypt's alphabet, from the kernel's random source.
fn random_salt(len: usize) -> String {
    use std::hash::BuildHasher;
    use std::io::Read;
    let mut bytes = vec![0u8; len];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // No /dev/urandom: the standard library's per-process random keys.
        let state = std::collections::hash_map::RandomState::new();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = state.hash_one(i).to_le_bytes()[0];
        }
    }
    bytes.iter().map(|b| char::from(CRYPT64[usize::from(b & 0x3f)])).collect()
}

#[cfg(test)]
mod tests {
    use crate::Templar;

    fn render(text: &str) -> Result<String, String> {
        let t = Templar::new();
        t.render_str(text, &t.context(&Default::default())).map_err(|e| e.message)
    }

    /// Outputs of ansible-core 2.18 with passlib 1.7 for the same calls.
    #[test]
    fn hashes_like_passlib() {
        for (text, want) in [
            (
                "{{ 'secret' | password_hash('sha512', 'mysalt', rounds=10000) }}",
                "$6$rounds=10000$mysalt$9XTP7570fxVN/uTspSrH6kRPdR4KKGzGz7.TmJjDYGrKSwZuavW/3YaLur8JX6WP75Czcxa.megIO0lKreY0R.",
            ),
            (
                "{{ 'secret' | password_hash('sha256_crypt', 'mysalt', rounds=5000) }}",
                "$5$mysalt$I2SNajjJ3Gc5gIR/tkrLOGngF8wqv59buJCqxh.o9s8",
            ),
            ("{{ 'secret' | password_hash('md5', 'mysalt') }}", "$1$mysalt$n/EfEiV74OYgBdqhKQzSW/"),
            ("{{ 'secret' | password_hash('md5_crypt', 'ab') }}", "$1$ab$dslkcXxVH.x8LwW1W/oAB/"),
            (
                "{{ 'secret' | password_hash('sha512_crypt', 'x', rounds='6000') }}",
                "$6$rounds=6000$x$adzgYUzoPVXtwytmVqDVKh0DJlry1Zh5T1GIrX6vOABPH9Tjx6o55345AR4fx0aOJ/ZDPw19PmM7HSe1yG1D11",
            ),
        ] {
            assert_eq!(render(text).as_deref(), Ok(want), "{text}");
        }
    }

    /// passlib's default rounds (656000 SHA-512 rounds: seconds in a debug build).
    #[test]
    #[ignore = "slow in debug builds"]
    fn default_rounds_like_passlib() {
        assert_eq!(
            render("{{ 'secret' | password_hash('sha512', 'mysalt') }}").as_deref(),
            Ok(
                "$6$rounds=656000$mysalt$cDA0t8lm/qt.LT6DzpoHxJ.NwTpx.WTkOPwhseSva8pRixDSH2./ffedCjAMbTX1Uo1QNT7jJPJ6FIzU2i59K/"
            )
        );
    }

    #[test]
    fn default_rounds_and_random_salt() {
        let a = render("{{ 'secret' | password_hash('sha256', rounds=1000) }}").unwrap();
        let b = render("{{ 'secret' | password_hash('sha256', rounds=1000) }}").unwrap();
        assert!(a.starts_with("$5$rounds=1000$") && a.len() == "$5$rounds=1000$".len() + 16 + 1 + 43, "{a}");
        assert_ne!(a, b, "a new salt each time");
        let md5 = render("{{ 'secret' | password_hash('md5') }}").unwrap();
        assert_eq!(md5.len(), 3 + 8 + 1 + 22, "{md5}");
    }

    #[test]
    fn passlib_errors() {
        for (text, needle) in [
            (
                "{{ 's' | password_hash('sha512', 'abcdefghijklmnopq') }}",
                "salt too large (sha512_crypt requires <= 16 chars)",
            ),
            (
                "{{ 's' | password_hash('md5', 'abcdefghi') }}",
                "salt too large (md5_crypt requires <= 8 chars)",
            ),
            ("{{ 's' | password_hash('sha512', 'bad$salt') }}", "invalid characters in sha512_crypt salt"),
            ("{{ 's' | password_hash('sha256', 'x', rounds=999) }}", "min_desired_rounds (999) is too low"),
            ("{{ 's' | password_hash('foo') }}", "passlib does not support 'foo' algorithm"),
            ("{{ 's' | password_hash('blowfish') }}", "hearth does not implement 'blowfish'"),
            ("{{ 's' | password_hash('md5', 'x', rounds=5000) }}", "does not take rounds"),
        ] {
            let e = render(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
