#![allow(clippy::unwrap_used)]

use super::*;

fn id() -> DocIdentity {
    DocIdentity { name: "dummy-env".into(), namespace: "default".into() }
}

fn data(pairs: &[(&str, &[u8])]) -> SecretData {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect()
}

#[test]
fn round_trips_awkward_values() {
    let d = data(&[
        ("PLAIN", b"hello"),
        ("NUMBER", b"8000"),
        ("LEADING_ZERO", b"0755"),
        ("BOOLISH", b"yes"),
        ("EMPTY", b""),
        ("NULLISH", b"null"),
        ("COLON", b"a: b"),
        ("HASH", b"x #y"),
        ("SPACES", b"  padded  "),
        ("topsecret.txt", b"I\nAM\nBATMAN"),
        ("trailing.txt", b"one\ntwo\n"),
        ("many.txt", b"one\n\n\n"),
        ("indented.txt", b"  first\nsecond\n"),
        ("crlf.txt", b"a\r\nb\r\n"),
        ("binary.bin", &[0, 159, 146, 150, 255]),
        ("quote", b"\"quoted\" and 'single'"),
        ("dash", b"- item"),
        ("unicode", "中文 ✓".as_bytes()),
    ]);
    let text = render(&id(), &d, &["header".into()]);
    let back = parse(&text, &id()).unwrap();
    assert_eq!(back, d, "{text}");
    assert!(text.contains("topsecret.txt: |-\n    I\n    AM\n    BATMAN\n"), "{text}");
    assert!(text.contains("binary.bin: !!binary"), "{text}");
    assert!(text.contains("PLAIN: hello\n"), "{text}");
}

#[test]
fn scalars_are_text() {
    let t = "data:\n  PORT: 8000\n  DEBUG: yes\n  RATIO: 1.50\n  ON: true\n";
    let d = parse(t, &id()).unwrap();
    assert_eq!(d["PORT"], b"8000");
    assert_eq!(d["DEBUG"], b"yes");
    assert_eq!(d["RATIO"], b"1.50");
    assert_eq!(d["ON"], b"true");
}

#[test]
fn user_written_binary() {
    let d = parse("data:\n  k: !!binary aGk=\n", &id()).unwrap();
    assert_eq!(d["k"], b"hi");
    assert!(parse("data:\n  k: !!binary '***'\n", &id()).is_err());
}

#[test]
fn rejects_mistakes_without_echoing_values() {
    let e = parse("data:\n  A: hunter2\n  B: [x\n", &id()).unwrap_err();
    assert!(matches!(e, DocError::Yaml { .. }), "{e}");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = parse("data:\n  A: 1\n  A: 2\n", &id()).unwrap_err();
    assert!(matches!(e, DocError::Yaml { line: 3, .. } | DocError::Yaml { line: 2, .. }), "{e}");
    let e = parse("data:\n  'bad key': x\n", &id()).unwrap_err();
    assert!(e.to_string().contains("bad key"), "{e}");
    let e = parse("metadata:\n  name: other\ndata: {}\n", &id()).unwrap_err();
    assert!(e.to_string().contains("metadata.name"), "{e}");
    let e = parse("data:\n  A:\n", &id()).unwrap_err();
    assert!(matches!(e, DocError::Yaml { .. }), "{e}");
    let e = parse("dta:\n  A: x\n", &id()).unwrap_err();
    assert!(e.to_string().contains("dta") || matches!(e, DocError::Yaml { .. }), "{e}");
}

#[test]
fn empty_data() {
    let text = render(&id(), &SecretData::new(), &[]);
    assert!(text.contains("data: {}"));
    assert!(parse(&text, &id()).unwrap().is_empty());
    assert!(parse("data:\n", &id()).unwrap().is_empty());
}
