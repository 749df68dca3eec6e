//! Token secrets and the one secret finder: parsing never panics and never shows more
//! than a prefix; every strict find is a real secret of its kind; redacted text holds
//! nothing a finder would find again.
#![no_main]
use clouddigit_core::scan::{find_secrets, redact_secrets, scan_text};
use clouddigit_core::secret::{is_secret, is_token, TokenSecret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match TokenSecret::parse(&text) {
        Ok(t) => {
            let s = t.expose_secret();
            assert!(is_token(s));
            assert_eq!(t.prefix(), s.chars().take(9).collect::<String>());
            let shown = format!("{t:?} {t}");
            assert!(
                !shown.contains(&s[9..]),
                "a token showed more than its prefix"
            );
        }
        Err(e) => {
            // Text shaped like a token (the prefix and more) is never shown past its
            // first nine characters, whatever is wrong with it.
            let trimmed = text.trim();
            let message = format!("{e} {e:?}");
            if let Some(rest) = trimmed.strip_prefix("cd_").and_then(|r| r.get(6..)) {
                if rest.chars().count() >= 12 {
                    assert!(
                        !message.contains(rest),
                        "an error showed the input past its prefix"
                    );
                }
            }
        }
    }
    for m in find_secrets(&text, true) {
        let written = &text[m.start..m.end];
        let decoded = written.replacen("%5F", "_", 1).replacen("%5f", "_", 1);
        assert!(
            is_secret(m.kind, &decoded),
            "{written:?} found as {:?}",
            m.kind
        );
        assert!(decoded.starts_with(&m.prefix));
    }
    let redacted = redact_secrets(&text);
    assert!(
        find_secrets(&redacted, true).is_empty(),
        "redaction left a secret"
    );
    assert!(
        find_secrets(&redacted, false).is_empty(),
        "redaction left a secret's shape"
    );
    let _ = scan_text(&text);
});
