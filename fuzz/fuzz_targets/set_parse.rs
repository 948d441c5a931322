//! `--set` parsing: never panics, and whatever parses merges and validates without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = lain_config::set::parse(s) {
        let mut base = lain_config::yaml::parse("appname: fuzz\n", "values.yaml").expect("static yaml");
        lain_config::merge::merge(&mut base, tree);
        let _ = lain_config::schema::validate(&base);
        // Round trip through JSON keeps the structure.
        let j = base.to_json();
        let back = lain_config::Node::from_json(&j, &lain_config::Origin::unknown());
        assert_eq!(back.to_json(), j);
    }
});
