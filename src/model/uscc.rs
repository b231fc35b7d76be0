//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet (digits and capitals without I, O, S, V, Z); characters 3–8 are
//! the registering region's code; the 18th is a check character computed from the first
//! 17 with weights 3^(i) mod 31.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u32)
}

/// The check character for the first 17 characters, if they are all valid.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (i, &b) in bytes.iter().enumerate() {
        sum += value(b)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Why a text is not a valid unified social credit code, or `Ok`.
pub fn validate(code: &str) -> Result<(), String> {
    if code.chars().count() != 18 {
        return Err(format!("`{code}` is not an 18-character unified social credit code"));
    }
    if let Some(bad) = code.bytes().find(|&b| value(b).is_none()) {
        return Err(format!(
            "`{code}` contains `{}`, which a unified social credit code cannot",
            bad as char
        ));
    }
    if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
        return Err(format!("`{code}`: characters 3–8 must be the region code"));
    }
    let expected = check_char(&code[..17]).expect("validated characters");
    if code.as_bytes()[17] as char != expected {
        return Err(format!("`{code}` fails the check character (expected `{expected}` at the end)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_characters() {
        // Σ value × 3^i mod 31 over the first 17 characters, computed independently: B.
        let body = "91340100MA2N0B8F3";
        assert_eq!(check_char(body), Some('B'));
        assert_eq!(validate("91340100MA2N0B8F3B"), Ok(()));
        // A single changed character breaks the check.
        let wrong = "91340100MA2N0B8F4B";
        assert!(validate(wrong).unwrap_err().contains("fails the check character"));
        assert!(validate("91340100MA2N0B8F3").unwrap_err().contains("18-character"));
        assert!(validate("91340100MA2N0B8FIX").unwrap_err().contains("contains `I`"));
    }

    #[test]
    fn a_published_code_passes() {
        // As printed in a listed company's annual report.
        assert_eq!(validate("91110000710926094P"), Ok(()));
        assert!(validate("91110000710926094Q").is_err());
    }
}
