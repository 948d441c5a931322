//! Two values files (split at the first NUL byte): parsing, merging and validating never panic,
//! and every problem reported points into one of the two files.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (a, b) = s.split_once('\0').unwrap_or((s, ""));
    let (Ok(mut base), Ok(top)) = (lain_config::yaml::parse(a, "values.yaml"), lain_config::yaml::parse(b, "values-test.yaml")) else {
        return;
    };
    lain_config::merge::merge(&mut base, top);
    for p in lain_config::schema::validate(&base) {
        assert!(matches!(&*p.origin.file, "values.yaml" | "values-test.yaml"), "{p}");
        assert!(!p.key.is_empty());
    }
});
