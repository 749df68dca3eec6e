use clouddigit_core::TokenSecret;

#[path = "../../tests/rust/token_format.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn parse(&self, text: &str) -> vectors::Parsed {
        TokenSecret::parse(text)
            .map(|t| t.prefix())
            .map_err(|e| (e.code().to_owned(), e.to_string()))
    }
}

#[test]
fn shared_vectors() {
    let failures = vectors::run(&Native);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_tokens_parse_and_hide_themselves() {
    let mut counter = 0u8;
    let token = TokenSecret::generate(|buf| {
        for b in buf.iter_mut() {
            counter = counter.wrapping_add(97);
            *b = counter;
        }
    });
    let text = token.expose_secret().to_owned();
    let again = TokenSecret::parse(&text).expect("a generated token parses");
    assert!(again == token);
    assert_eq!(format!("{token:?}").matches(&text[9..]).count(), 0);
    assert_eq!(format!("{token}"), format!("{}…", token.prefix()));
}
