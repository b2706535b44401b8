//! The generated admin password: 32 characters from the OS random source. It is written once
//! into the Secret and never logged, printed or returned anywhere else.

use crate::error::ApplyError;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const LENGTH: usize = 32;

/// A random password of [`LENGTH`] alphanumeric characters (no shell or URL quoting needed).
pub fn generate() -> Result<String, ApplyError> {
    let mut out = String::with_capacity(LENGTH);
    let mut buf = [0u8; 64];
    // 248 = 4 * 62: bytes at or above it are rejected so every character is equally likely.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    while out.len() < LENGTH {
        getrandom::fill(&mut buf).map_err(|e| ApplyError::RandomnessUnavailable(e.to_string()))?;
        for b in buf {
            if b < limit && out.len() < LENGTH {
                out.push(ALPHABET[(b as usize) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_long_alphanumeric_and_differ() {
        let a = super::generate().expect("randomness");
        let b = super::generate().expect("randomness");
        assert_eq!(a.len(), super::LENGTH);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
